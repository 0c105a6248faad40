ATTACH TABLE _ UUID '65654cc5-6a4f-4178-844e-840f7accf507'
(
    `ResourceAttributes` Map(LowCardinality(String), String),
    `ResourceSchemaUrl` String,
    `ScopeName` String,
    `ScopeVersion` String,
    `ScopeAttributes` Map(LowCardinality(String), String),
    `ScopeDroppedAttrCount` UInt32,
    `ScopeSchemaUrl` String,
    `ServiceName` LowCardinality(String),
    `MetricName` LowCardinality(String),
    `MetricDescription` String,
    `MetricUnit` String,
    `Attributes` Map(LowCardinality(String), String),
    `StartTimeUnix` Int64,
    `TimeUnix` Int64,
    `Value` Float64,
    `Flags` UInt32,
    `Exemplars.FilteredAttributes` Array(Map(LowCardinality(String), String)),
    `Exemplars.TimeUnix` Array(Int64),
    `Exemplars.Value` Array(Float64),
    `Exemplars.SpanId` Array(String),
    `Exemplars.TraceId` Array(String),
    `AggregationTemporality` Int32,
    `IsMonotonic` Bool
)
ENGINE = MergeTree
ORDER BY tuple()
SETTINGS index_granularity = 8192
