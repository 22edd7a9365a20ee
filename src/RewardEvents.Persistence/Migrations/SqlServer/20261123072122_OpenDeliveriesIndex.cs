using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace RewardEvents.Persistence.Migrations.SqlServer
{
    /// <inheritdoc />
    public partial class OpenDeliveriesIndex : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropIndex(
                name: "IX_deliveries_EndpointId_UserId_Sequence",
                table: "deliveries");

            migrationBuilder.CreateIndex(
                name: "IX_deliveries_EndpointId_UserId_Sequence",
                table: "deliveries",
                columns: new[] { "EndpointId", "UserId", "Sequence" },
                filter: "[Status] <> N'Delivered' AND [Status] <> N'DeadLettered'");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropIndex(
                name: "IX_deliveries_EndpointId_UserId_Sequence",
                table: "deliveries");

            migrationBuilder.CreateIndex(
                name: "IX_deliveries_EndpointId_UserId_Sequence",
                table: "deliveries",
                columns: new[] { "EndpointId", "UserId", "Sequence" });
        }
    }
}
