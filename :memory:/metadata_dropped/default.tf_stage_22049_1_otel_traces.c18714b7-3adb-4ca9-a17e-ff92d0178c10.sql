ATTACH TABLE _ UUID 'c18714b7-3adb-4ca9-a17e-ff92d0178c10'
(
    `Timestamp` Int64,
    `TraceId` String,
    `SpanId` String,
    `ParentSpanId` String,
    `TraceState` String,
    `SpanName` LowCardinality(String),
    `SpanKind` LowCardinality(String),
    `ServiceName` LowCardinality(String),
    `ResourceAttributes` Map(LowCardinality(String), String),
    `ScopeName` String,
    `ScopeVersion` String,
    `SpanAttributes` Map(LowCardinality(String), String),
    `Duration` UInt64,
    `StatusCode` LowCardinality(String),
    `StatusMessage` String,
    `Events.Timestamp` Array(Int64),
    `Events.Name` Array(LowCardinality(String)),
    `Events.Attributes` Array(Map(LowCardinality(String), String)),
    `Links.TraceId` Array(String),
    `Links.SpanId` Array(String),
    `Links.TraceState` Array(String),
    `Links.Attributes` Array(Map(LowCardinality(String), String))
)
ENGINE = MergeTree
ORDER BY tuple()
SETTINGS index_granularity = 8192
