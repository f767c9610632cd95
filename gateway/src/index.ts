/**
 * Skiff gateway public API.
 * @module
 */
export { ConfigError, loadConfigFile, parseConfigText } from './config/load.js'
export type { Config } from './config/schema.js'
export { GatewayError, type GatewayErrorCode } from './errors.js'
export { Gateway } from './gateway.js'
