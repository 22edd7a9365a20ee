using RewardEvents.Testing;

// One broker, one database server and (where Docker runs) one SQL Server per test run; tests
// isolate themselves with their own vhost or database, which costs milliseconds, not seconds.
[assembly: AssemblyFixture(typeof(RabbitMqBroker))]
[assembly: AssemblyFixture(typeof(PostgresServer))]
[assembly: AssemblyFixture(typeof(SqlServerContainerFixture))]

// Integration tests run one class at a time: on a 2-core machine, several fleets with their own hosts,
// brokers and worker processes at once turn timing margins into failures that test nothing.
[assembly: CollectionBehavior(DisableTestParallelization = true)]
