using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace ApimConsole.Storage.Migrations.SqlServer
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
                    Id = table.Column<long>(type: "bigint", nullable: false)
                        .Annotation("SqlServer:Identity", "1, 1"),
                    DatacenterId = table.Column<string>(type: "nvarchar(64)", maxLength: 64, nullable: false),
                    From = table.Column<DateTimeOffset>(type: "datetimeoffset", nullable: false),
                    To = table.Column<DateTimeOffset>(type: "datetimeoffset", nullable: false),
                    Collected = table.Column<bool>(type: "bit", nullable: false),
                    Reason = table.Column<string>(type: "nvarchar(2000)", maxLength: 2000, nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_TrafficCoverage", x => x.Id);
                });

            migrationBuilder.CreateTable(
                name: "TrafficMinutes",
                columns: table => new
                {
                    Id = table.Column<long>(type: "bigint", nullable: false)
                        .Annotation("SqlServer:Identity", "1, 1"),
                    DatacenterId = table.Column<string>(type: "nvarchar(64)", maxLength: 64, nullable: false),
                    InstanceId = table.Column<string>(type: "nvarchar(200)", maxLength: 200, nullable: false),
                    ApiPath = table.Column<string>(type: "nvarchar(400)", maxLength: 400, nullable: false),
                    Minute = table.Column<DateTimeOffset>(type: "datetimeoffset", nullable: false),
                    Count = table.Column<long>(type: "bigint", nullable: false),
                    Successes = table.Column<long>(type: "bigint", nullable: false),
                    Failures = table.Column<long>(type: "bigint", nullable: false),
                    Status1xx = table.Column<long>(type: "bigint", nullable: false),
                    Status2xx = table.Column<long>(type: "bigint", nullable: false),
                    Status3xx = table.Column<long>(type: "bigint", nullable: false),
                    Status4xx = table.Column<long>(type: "bigint", nullable: false),
                    Status5xx = table.Column<long>(type: "bigint", nullable: false),
                    StatusOther = table.Column<long>(type: "bigint", nullable: false),
                    Latency = table.Column<string>(type: "nvarchar(max)", maxLength: 8000, nullable: false)
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
