using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace RewardEvents.Persistence.Migrations.SqlServer
{
    /// <inheritdoc />
    public partial class EndpointManagement : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AlterColumn<string>(
                name: "Secrets",
                table: "endpoints",
                type: "nvarchar(4000)",
                maxLength: 4000,
                nullable: false,
                oldClrType: typeof(string),
                oldType: "nvarchar(1000)",
                oldMaxLength: 1000);

            migrationBuilder.AddColumn<string>(
                name: "Headers",
                table: "endpoints",
                type: "nvarchar(max)",
                maxLength: 8000,
                nullable: true);

            migrationBuilder.AddColumn<DateTime>(
                name: "NextSlotAt",
                table: "endpoints",
                type: "datetime2",
                nullable: true);

            migrationBuilder.AddColumn<double>(
                name: "RateLimit",
                table: "endpoints",
                type: "float",
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "Trigger",
                table: "endpoints",
                type: "nvarchar(max)",
                maxLength: 8000,
                nullable: true);

            migrationBuilder.AddColumn<bool>(
                name: "Test",
                table: "deliveries",
                type: "bit",
                nullable: false,
                defaultValue: false);

            migrationBuilder.CreateTable(
                name: "data_protection_keys",
                columns: table => new
                {
                    Id = table.Column<int>(type: "int", nullable: false)
                        .Annotation("SqlServer:Identity", "1, 1"),
                    FriendlyName = table.Column<string>(type: "nvarchar(max)", nullable: true),
                    Xml = table.Column<string>(type: "nvarchar(max)", nullable: true)
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

            migrationBuilder.AlterColumn<string>(
                name: "Secrets",
                table: "endpoints",
                type: "nvarchar(1000)",
                maxLength: 1000,
                nullable: false,
                oldClrType: typeof(string),
                oldType: "nvarchar(4000)",
                oldMaxLength: 4000);
        }
    }
}
