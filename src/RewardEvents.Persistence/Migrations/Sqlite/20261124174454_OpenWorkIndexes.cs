using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace RewardEvents.Persistence.Migrations.Sqlite
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

            migrationBuilder.CreateIndex(
                name: "IX_routings_CurrentState",
                table: "routings",
                column: "CurrentState",
                filter: "\"CurrentState\" = 'Delivering'");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropIndex(
                name: "IX_routings_CurrentState",
                table: "routings");

            migrationBuilder.CreateIndex(
                name: "IX_routings_CurrentState",
                table: "routings",
                column: "CurrentState");
        }
    }
}
