-- The DuckDB version, for the machine description.
SELECT version() AS version;
