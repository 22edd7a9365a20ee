using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace RewardEvents.Persistence.Migrations.Postgres
{
    /// <inheritdoc />
    public partial class OpenWorkIndexes : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropIndex(
                name: "IX_routings_CurrentState",
                table: "routings");

            migrationBuilder.DropIndex(
                name: "IX_deliveries_Status_NextAttemptAt",
                table: "deliveries");

            migrationBuilder.CreateIndex(
                name: "IX_routings_CurrentState",
                table: "routings",
                column: "CurrentState",
                filter: "\"CurrentState\" = 'Delivering'");

            migrationBuilder.CreateIndex(
                name: "IX_deliveries_Status_NextAttemptAt",
                table: "deliveries",
                columns: new[] { "Status", "NextAttemptAt" },
                filter: "\"Status\" IN ('Pending', 'InFlight', 'Retrying', 'Waiting')");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropIndex(
                name: "IX_routings_CurrentState",
                table: "routings");

            migrationBuilder.DropIndex(
                name: "IX_deliveries_Status_NextAttemptAt",
                table: "deliveries");

            migrationBuilder.CreateIndex(
                name: "IX_routings_CurrentState",
                table: "routings",
                column: "CurrentState");

            migrationBuilder.CreateIndex(
                name: "IX_deliveries_Status_NextAttemptAt",
                table: "deliveries",
                columns: new[] { "Status", "NextAttemptAt" });
        }
    }
}
