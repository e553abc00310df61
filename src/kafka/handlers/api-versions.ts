/**
 * Runs on: main thread.
 *
 * ApiVersions (key 18): the API keys and versions this listener serves, read from the handler
 * registry. An unsupported ApiVersions version is answered by the connection itself (a v0 body
 * with UNSUPPORTED_VERSION), so that a client can retry with one it knows.
 */
import { defineApi, specOf } from '../api.js';
import { readApiVersionsRequest } from '../messages/api-versions-request.js';
import { apiVersionsResponseSpec, writeApiVersionsResponse } from '../messages/api-versions-response.js';

export const apiVersions = defineApi({
  ...specOf(apiVersionsResponseSpec, { min: 0, max: 3 }),
  name: 'ApiVersions',
  readRequest: readApiVersionsRequest,
  writeResponse: writeApiVersionsResponse,
  async handle(_request, _ctx, services) {
    return {
      errorCode: 0,
      apiKeys: services.apis().map(({ apiKey, versions }) => ({ apiKey, minVersion: versions.min, maxVersion: versions.max })),
    };
  },
});
