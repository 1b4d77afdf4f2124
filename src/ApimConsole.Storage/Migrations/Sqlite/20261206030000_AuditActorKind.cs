using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace ApimConsole.Storage.Migrations.Sqlite
{
    /// <inheritdoc />
    public partial class AuditActorKind : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<string>(
                name: "ActorKind",
                table: "AuditEntries",
                type: "TEXT",
                maxLength: 10,
                nullable: false,
                defaultValue: "User");

            // Rows written before the column: the console wrote "system" and "token:<name>" itself; a sign-in row's
            // actor is whatever name was typed, so it stays a user whatever it says.
            migrationBuilder.Sql("UPDATE AuditEntries SET ActorKind = 'System' WHERE Actor = 'system' AND Action NOT LIKE 'signin.%'");
            migrationBuilder.Sql("UPDATE AuditEntries SET ActorKind = 'Token' WHERE Actor LIKE 'token:%' AND Action NOT LIKE 'signin.%'");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropColumn(
                name: "ActorKind",
                table: "AuditEntries");
        }
    }
}
