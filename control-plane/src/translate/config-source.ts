// Every dynamic resource (RDS for listeners, EDS for clusters) comes over the same ADS stream.
import { create } from '@bufbuild/protobuf';
import {
  ApiVersion,
  ConfigSourceSchema,
  type ConfigSource,
} from '../envoy/generated/envoy/config/core/v3/config_source_pb.js';

export function adsConfigSource(): ConfigSource {
  return create(ConfigSourceSchema, {
    configSourceSpecifier: { case: 'ads', value: {} },
    resourceApiVersion: ApiVersion.V3,
  });
}
