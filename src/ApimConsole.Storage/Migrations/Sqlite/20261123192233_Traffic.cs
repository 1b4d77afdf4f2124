using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace ApimConsole.Storage.Migrations.Sqlite
{
    /// <inheritdoc />
    public partial class Traffic : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.CreateTable(
                name: "TrafficCoverage",
                columns: table => new
                {
                    Id = table.Column<long>(type: "INTEGER", nullable: false)
                        .Annotation("Sqlite:Autoincrement", true),
                    DatacenterId = table.Column<string>(type: "TEXT", maxLength: 64, nullable: false),
                    From = table.Column<long>(type: "INTEGER", nullable: false),
                    To = table.Column<long>(type: "INTEGER", nullable: false),
                    Collected = table.Column<bool>(type: "INTEGER", nullable: false),
                    Reason = table.Column<string>(type: "TEXT", maxLength: 2000, nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_TrafficCoverage", x => x.Id);
                });

            migrationBuilder.CreateTable(
                name: "TrafficMinutes",
                columns: table => new
                {
                    Id = table.Column<long>(type: "INTEGER", nullable: false)
                        .Annotation("Sqlite:Autoincrement", true),
                    DatacenterId = table.Column<string>(type: "TEXT", maxLength: 64, nullable: false),
                    InstanceId = table.Column<string>(type: "TEXT", maxLength: 200, nullable: false),
                    ApiPath = table.Column<string>(type: "TEXT", maxLength: 400, nullable: false),
                    Minute = table.Column<long>(type: "INTEGER", nullable: false),
                    Count = table.Column<long>(type: "INTEGER", nullable: false),
                    Successes = table.Column<long>(type: "INTEGER", nullable: false),
                    Failures = table.Column<long>(type: "INTEGER", nullable: false),
                    Status1xx = table.Column<long>(type: "INTEGER", nullable: false),
                    Status2xx = table.Column<long>(type: "INTEGER", nullable: false),
                    Status3xx = table.Column<long>(type: "INTEGER", nullable: false),
                    Status4xx = table.Column<long>(type: "INTEGER", nullable: false),
                    Status5xx = table.Column<long>(type: "INTEGER", nullable: false),
                    StatusOther = table.Column<long>(type: "INTEGER", nullable: false),
                    Latency = table.Column<string>(type: "TEXT", maxLength: 8000, nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_TrafficMinutes", x => x.Id);
                });

            migrationBuilder.CreateIndex(
                name: "IX_TrafficCoverage_DatacenterId_From",
                table: "TrafficCoverage",
                columns: new[] { "DatacenterId", "From" },
                unique: true);

            migrationBuilder.CreateIndex(
                name: "IX_TrafficCoverage_To",
                table: "TrafficCoverage",
                column: "To");

            migrationBuilder.CreateIndex(
                name: "IX_TrafficMinutes_DatacenterId_InstanceId_ApiPath_Minute",
                table: "TrafficMinutes",
                columns: new[] { "DatacenterId", "InstanceId", "ApiPath", "Minute" },
                unique: true);

            migrationBuilder.CreateIndex(
                name: "IX_TrafficMinutes_Minute",
                table: "TrafficMinutes",
                column: "Minute");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "TrafficCoverage");

            migrationBuilder.DropTable(
                name: "TrafficMinutes");
        }
    }
}
