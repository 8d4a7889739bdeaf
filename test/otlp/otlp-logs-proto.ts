// The OTLP logs messages the test receiver decodes, written for ktrail as a protobufjs schema.
//
// Field numbers and types are those of the official definitions in open-telemetry/opentelemetry-proto
// (Apache-2.0), release v1.5.0 and later (`event_name` = 12 arrived in v1.5.0):
//   opentelemetry/proto/collector/logs/v1/logs_service.proto  ExportLogsServiceRequest/Response
//   opentelemetry/proto/logs/v1/logs.proto                    ResourceLogs, ScopeLogs, LogRecord
//   opentelemetry/proto/common/v1/common.proto                AnyValue, KeyValue, InstrumentationScope
//   opentelemetry/proto/resource/v1/resource.proto            Resource
// Only the messages on the logs path are here; see README.md for why the files are not vendored.
// Being independent of the exporter's own serializer is the point: a field-number slip on either side
// shows up as a test failure instead of cancelling out.

import protobuf from 'protobufjs';

export const OTLP_LOGS_PROTO = `
syntax = "proto3";
package opentelemetry.proto;

message AnyValue {
  oneof value {
    string string_value = 1;
    bool bool_value = 2;
    int64 int_value = 3;
    double double_value = 4;
    ArrayValue array_value = 5;
    KeyValueList kvlist_value = 6;
    bytes bytes_value = 7;
  }
}
message ArrayValue { repeated AnyValue values = 1; }
message KeyValueList { repeated KeyValue values = 1; }
message KeyValue { string key = 1; AnyValue value = 2; }
message InstrumentationScope {
  string name = 1;
  string version = 2;
  repeated KeyValue attributes = 3;
  uint32 dropped_attributes_count = 4;
}
message Resource {
  repeated KeyValue attributes = 1;
  uint32 dropped_attributes_count = 2;
}
message LogRecord {
  fixed64 time_unix_nano = 1;
  fixed64 observed_time_unix_nano = 11;
  int32 severity_number = 2;
  string severity_text = 3;
  AnyValue body = 5;
  repeated KeyValue attributes = 6;
  uint32 dropped_attributes_count = 7;
  fixed32 flags = 8;
  bytes trace_id = 9;
  bytes span_id = 10;
  string event_name = 12;
}
message ScopeLogs {
  InstrumentationScope scope = 1;
  repeated LogRecord log_records = 2;
  string schema_url = 3;
}
message ResourceLogs {
  Resource resource = 1;
  repeated ScopeLogs scope_logs = 2;
  string schema_url = 3;
}
message ExportLogsServiceRequest { repeated ResourceLogs resource_logs = 1; }
message ExportLogsPartialSuccess { int64 rejected_log_records = 1; string error_message = 2; }
message ExportLogsServiceResponse { ExportLogsPartialSuccess partial_success = 1; }
`;

const root = protobuf.parse(OTLP_LOGS_PROTO, { keepCase: false }).root;
export const ExportLogsServiceRequest = root.lookupType('opentelemetry.proto.ExportLogsServiceRequest');
export const ExportLogsServiceResponse = root.lookupType('opentelemetry.proto.ExportLogsServiceResponse');
