/**
 * The AWS SDK's own opt-out of its `NodeVersionSupportWarning` (aws/aws-sdk-js-v3#7983): eight
 * lines on standard error in every S3 run on Node 20, which a scheduled run's log would carry
 * forever and which say nothing about the run. Only that warning: every other warning, the
 * SDK's included, still reaches the operator.
 */
export const SDK_NODE_VERSION_WARNING_OPT_OUT = 'AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED'

/**
 * Turns the SDK's Node-version warning off for this process, before any client is made (the
 * SDK reads the variable when a client is constructed). An operator who set the variable keeps
 * their value.
 */
export function quietSdkNodeVersionWarning (env: NodeJS.ProcessEnv = process.env): void {
  env[SDK_NODE_VERSION_WARNING_OPT_OUT] ??= 'true'
}
