using RewardEvents.Testing;

// One broker, one database server and (where Docker runs) one SQL Server per test run; tests
// isolate themselves with their own vhost or database, which costs milliseconds, not seconds.
[assembly: AssemblyFixture(typeof(RabbitMqBroker))]
[assembly: AssemblyFixture(typeof(PostgresServer))]
[assembly: AssemblyFixture(typeof(SqlServerContainerFixture))]
