using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace ApimConsole.Storage.Migrations.SqlServer
{
    /// <inheritdoc />
    public partial class IncidentsOutages : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<DateTimeOffset>(
                name: "AcknowledgedAt",
                table: "Incidents",
                type: "datetimeoffset",
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "AcknowledgedBy",
                table: "Incidents",
                type: "nvarchar(200)",
                maxLength: 200,
                nullable: true);

            migrationBuilder.AddColumn<long>(
                name: "ParentId",
                table: "Incidents",
                type: "bigint",
                nullable: true);

            migrationBuilder.CreateTable(
                name: "IncidentConsequences",
                columns: table => new
                {
                    Id = table.Column<long>(type: "bigint", nullable: false)
                        .Annotation("SqlServer:Identity", "1, 1"),
                    IncidentId = table.Column<long>(type: "bigint", nullable: false),
                    DatacenterId = table.Column<string>(type: "nvarchar(64)", maxLength: 64, nullable: false),
                    ComponentId = table.Column<string>(type: "nvarchar(200)", maxLength: 200, nullable: false),
                    ComponentKind = table.Column<string>(type: "nvarchar(50)", maxLength: 50, nullable: false),
                    State = table.Column<string>(type: "nvarchar(20)", maxLength: 20, nullable: false),
                    From = table.Column<DateTimeOffset>(type: "datetimeoffset", nullable: false),
                    Until = table.Column<DateTimeOffset>(type: "datetimeoffset", nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_IncidentConsequences", x => x.Id);
                    table.ForeignKey(
                        name: "FK_IncidentConsequences_Incidents_IncidentId",
                        column: x => x.IncidentId,
                        principalTable: "Incidents",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateTable(
                name: "IncidentNotes",
                columns: table => new
                {
                    Id = table.Column<long>(type: "bigint", nullable: false)
                        .Annotation("SqlServer:Identity", "1, 1"),
                    IncidentId = table.Column<long>(type: "bigint", nullable: false),
                    At = table.Column<DateTimeOffset>(type: "datetimeoffset", nullable: false),
                    Author = table.Column<string>(type: "nvarchar(200)", maxLength: 200, nullable: false),
                    Text = table.Column<string>(type: "nvarchar(4000)", maxLength: 4000, nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_IncidentNotes", x => x.Id);
                    table.ForeignKey(
                        name: "FK_IncidentNotes_Incidents_IncidentId",
                        column: x => x.IncidentId,
                        principalTable: "Incidents",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateIndex(
                name: "IX_Incidents_ParentId",
                table: "Incidents",
                column: "ParentId");

            migrationBuilder.CreateIndex(
                name: "IX_IncidentConsequences_IncidentId_DatacenterId_ComponentId",
                table: "IncidentConsequences",
                columns: new[] { "IncidentId", "DatacenterId", "ComponentId" });

            migrationBuilder.CreateIndex(
                name: "IX_IncidentNotes_IncidentId_At",
                table: "IncidentNotes",
                columns: new[] { "IncidentId", "At" });
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "IncidentConsequences");

            migrationBuilder.DropTable(
                name: "IncidentNotes");

            migrationBuilder.DropIndex(
                name: "IX_Incidents_ParentId",
                table: "Incidents");

            migrationBuilder.DropColumn(
                name: "AcknowledgedAt",
                table: "Incidents");

            migrationBuilder.DropColumn(
                name: "AcknowledgedBy",
                table: "Incidents");

            migrationBuilder.DropColumn(
                name: "ParentId",
                table: "Incidents");
        }
    }
}
