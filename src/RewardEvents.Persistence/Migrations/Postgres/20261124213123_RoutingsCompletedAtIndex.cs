using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace RewardEvents.Persistence.Migrations.Postgres
{
    /// <inheritdoc />
    public partial class RoutingsCompletedAtIndex : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.CreateIndex(
                name: "IX_routings_CompletedAt",
                table: "routings",
                column: "CompletedAt",
                filter: "\"CurrentState\" = 'Completed'");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropIndex(
                name: "IX_routings_CompletedAt",
                table: "routings");
        }
    }
}
