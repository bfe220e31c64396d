/**
 * The AWS SDK's default credential provider as a Lambda bundle holds it: the credentials Lambda gives the function
 * in its environment (`AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY`, `AWS_SESSION_TOKEN`), read by the SDK's own
 * `fromEnv`, the first link of `@aws-sdk/credential-provider-node`'s chain and the one that answers in Lambda.
 *
 * Bundling aliases `@aws-sdk/credential-provider-node` to this module (`LAMBDA_BUNDLE.alias`,
 * infra/constructs/settings-files.ts), so a bundle does not carry the chain's other links (SSO, shared ini files,
 * credential processes, web identity, container and instance metadata) with their STS, SSO and sign-in clients:
 * about 110 KB of the decrypt bundle that Lambda never runs. Same exports as that package; code run from source
 * (tests, the CLI) keeps the SDK's full chain.
 */
import { fromEnv } from '@aws-sdk/credential-provider-env';

type FromEnvInit = NonNullable<Parameters<typeof fromEnv>[0]>;
type CredentialProvider = ReturnType<typeof fromEnv>;
type Credentials = Awaited<ReturnType<CredentialProvider>>;

/** What the SDK clients pass to the default provider; only the logger is used here. */
export interface DefaultProviderInit {
  readonly logger?: FromEnvInit['logger'];
}

/** The SDK clients' default credentials in Lambda: the function's environment. */
export const defaultProvider = (init: DefaultProviderInit = {}): CredentialProvider =>
  fromEnv(init.logger ? { logger: init.logger } : {});

/** As `@aws-sdk/credential-provider-node`: credentials with an expiration may need a refresh. */
export const credentialsWillNeedRefresh = (credentials?: Credentials): boolean =>
  credentials?.expiration !== undefined;

/** As `@aws-sdk/credential-provider-node`: credentials expiring within 5 minutes are treated as expired. */
export const credentialsTreatedAsExpired = (credentials?: Credentials): boolean =>
  credentials?.expiration !== undefined && credentials.expiration.getTime() - Date.now() < 300_000;
