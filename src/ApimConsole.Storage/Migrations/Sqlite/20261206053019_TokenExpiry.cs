using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace ApimConsole.Storage.Migrations.Sqlite
{
    /// <inheritdoc />
    public partial class TokenExpiry : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<long>(
                name: "ExpiresAt",
                table: "ApiTokens",
                type: "INTEGER",
                nullable: true);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropColumn(
                name: "ExpiresAt",
                table: "ApiTokens");
        }
    }
}
