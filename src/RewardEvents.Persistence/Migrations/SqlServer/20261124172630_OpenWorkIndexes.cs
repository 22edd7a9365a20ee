using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace RewardEvents.Persistence.Migrations.SqlServer
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
                filter: "[CurrentState] = N'Delivering'");

            migrationBuilder.CreateIndex(
                name: "IX_deliveries_Status_NextAttemptAt",
                table: "deliveries",
                columns: new[] { "Status", "NextAttemptAt" },
                filter: "[Status] IN (N'Pending', N'InFlight', N'Retrying', N'Waiting')");
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
