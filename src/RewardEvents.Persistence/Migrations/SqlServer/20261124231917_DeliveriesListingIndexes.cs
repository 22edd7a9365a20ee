using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace RewardEvents.Persistence.Migrations.SqlServer
{
    /// <inheritdoc />
    public partial class DeliveriesListingIndexes : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.CreateIndex(
                name: "IX_deliveries_CreatedAt",
                table: "deliveries",
                column: "CreatedAt");

            migrationBuilder.CreateIndex(
                name: "IX_deliveries_DeadLettered",
                table: "deliveries",
                column: "CreatedAt",
                filter: "[Status] = N'DeadLettered'");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropIndex(
                name: "IX_deliveries_CreatedAt",
                table: "deliveries");

            migrationBuilder.DropIndex(
                name: "IX_deliveries_DeadLettered",
                table: "deliveries");
        }
    }
}
