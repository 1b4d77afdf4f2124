using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace ApimConsole.Storage.Migrations.Sqlite
{
    /// <inheritdoc />
    public partial class Incidents : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.CreateTable(
                name: "Incidents",
                columns: table => new
                {
                    Id = table.Column<long>(type: "INTEGER", nullable: false)
                        .Annotation("Sqlite:Autoincrement", true),
                    Key = table.Column<string>(type: "TEXT", maxLength: 300, nullable: false),
                    Kind = table.Column<string>(type: "TEXT", maxLength: 50, nullable: false),
                    DatacenterId = table.Column<string>(type: "TEXT", maxLength: 64, nullable: true),
                    ComponentKey = table.Column<string>(type: "TEXT", maxLength: 300, nullable: true),
                    Title = table.Column<string>(type: "TEXT", maxLength: 500, nullable: false),
                    Severity = table.Column<string>(type: "TEXT", maxLength: 20, nullable: false),
                    StartedAt = table.Column<long>(type: "INTEGER", nullable: false),
                    EndedAt = table.Column<long>(type: "INTEGER", nullable: true),
                    CassandraNodes = table.Column<string>(type: "TEXT", maxLength: 4000, nullable: false),
                    RecoveredAt = table.Column<long>(type: "INTEGER", nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_Incidents", x => x.Id);
                });

            migrationBuilder.CreateTable(
                name: "RepairChecks",
                columns: table => new
                {
                    Id = table.Column<long>(type: "INTEGER", nullable: false)
                        .Annotation("Sqlite:Autoincrement", true),
                    IncidentId = table.Column<long>(type: "INTEGER", nullable: false),
                    NodeKey = table.Column<string>(type: "TEXT", maxLength: 300, nullable: false),
                    Action = table.Column<string>(type: "TEXT", maxLength: 20, nullable: false),
                    DoneBy = table.Column<string>(type: "TEXT", maxLength: 200, nullable: false),
                    DoneAt = table.Column<long>(type: "INTEGER", nullable: false),
                    Note = table.Column<string>(type: "TEXT", maxLength: 2000, nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_RepairChecks", x => x.Id);
                    table.ForeignKey(
                        name: "FK_RepairChecks_Incidents_IncidentId",
                        column: x => x.IncidentId,
                        principalTable: "Incidents",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateIndex(
                name: "IX_Incidents_Key_Open",
                table: "Incidents",
                column: "Key",
                unique: true,
                filter: "EndedAt IS NULL");

            migrationBuilder.CreateIndex(
                name: "IX_Incidents_StartedAt",
                table: "Incidents",
                column: "StartedAt");

            migrationBuilder.CreateIndex(
                name: "IX_RepairChecks_IncidentId_NodeKey",
                table: "RepairChecks",
                columns: new[] { "IncidentId", "NodeKey" },
                unique: true);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "RepairChecks");

            migrationBuilder.DropTable(
                name: "Incidents");
        }
    }
}
