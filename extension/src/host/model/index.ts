// The model transport's public surface.
export { ModelError, type ModelErrorKind } from './errors';
export { defaultRetryPolicy, type RetryPolicy } from './retry';
export { endpointUrl, listModels, redactHeaders, streamModel, type ModelEndpoint, type RetryInfo, type StreamItem, type StreamOptions } from './transport';
export { discoverLocalServers, fetchModelLimits, isProviderId, outputCapFor, PROVIDER_IDS, PROVIDERS, resolveProvider, type LocalServer, type ResolvedProvider, type ModelLimits, type ProviderId, type ProviderPreset } from './providers';
export { resolveVision, visionFromName } from './vision';
