using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace RewardEvents.Persistence.Migrations.Sqlite
{
    /// <inheritdoc />
    public partial class EndpointManagement : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<string>(
                name: "Headers",
                table: "endpoints",
                type: "TEXT",
                maxLength: 8000,
                nullable: true);

            migrationBuilder.AddColumn<DateTime>(
                name: "NextSlotAt",
                table: "endpoints",
                type: "TEXT",
                nullable: true);

            migrationBuilder.AddColumn<double>(
                name: "RateLimit",
                table: "endpoints",
                type: "REAL",
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "Trigger",
                table: "endpoints",
                type: "TEXT",
                maxLength: 8000,
                nullable: true);

            migrationBuilder.AddColumn<bool>(
                name: "Test",
                table: "deliveries",
                type: "INTEGER",
                nullable: false,
                defaultValue: false);

            migrationBuilder.CreateTable(
                name: "data_protection_keys",
                columns: table => new
                {
                    Id = table.Column<int>(type: "INTEGER", nullable: false)
                        .Annotation("Sqlite:Autoincrement", true),
                    FriendlyName = table.Column<string>(type: "TEXT", nullable: true),
                    Xml = table.Column<string>(type: "TEXT", nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_data_protection_keys", x => x.Id);
                });
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "data_protection_keys");

            migrationBuilder.DropColumn(
                name: "Headers",
                table: "endpoints");

            migrationBuilder.DropColumn(
                name: "NextSlotAt",
                table: "endpoints");

            migrationBuilder.DropColumn(
                name: "RateLimit",
                table: "endpoints");

            migrationBuilder.DropColumn(
                name: "Trigger",
                table: "endpoints");

            migrationBuilder.DropColumn(
                name: "Test",
                table: "deliveries");
        }
    }
}
