/**
 * Runs on: main thread. Loads the Kafka client (@confluentinc/kafka-javascript) only when the
 * Kafka backend or the kafka sink is configured: it is an optional native add-on, so an install
 * that could not build it still runs the embedded default, and a config that needs it says how
 * to install it.
 */
import { createRequire } from 'node:module';
import { ConfigError } from '../../errors.js';
import type { KafkaClientModule } from './client-types.js';

const KAFKA_CLIENT_PACKAGE = '@confluentinc/kafka-javascript';

const INSTALL_HINT =
  `install it with \`CKJS_LINKING=dynamic npm install ${KAFKA_CLIENT_PACKAGE}\` ` +
  '(it builds its bundled librdkafka: it needs make, g++, python3 and the OpenSSL and zlib headers, ' +
  'on Debian `apt-get install build-essential python3 libssl-dev zlib1g-dev`)';

/**
 * The client module, or a ConfigError naming `configKey` (what asked for Kafka) and how to
 * install the client. Its native part is loaded once per process by Node's module cache.
 * `packageName` is the client's, except in the test of the error an install without it gets.
 */
export function loadKafkaClient(configKey: string, packageName = KAFKA_CLIENT_PACKAGE): KafkaClientModule {
  const require = createRequire(import.meta.url);
  try {
    return require(packageName) as KafkaClientModule;
  } catch (err) {
    const missing = (err as NodeJS.ErrnoException).code === 'MODULE_NOT_FOUND';
    const what = missing ? `${packageName} is not installed` : `${packageName} is installed but does not load (${(err as Error).message})`;
    throw new ConfigError(`${configKey}: the Kafka client is needed, but ${what}; ${INSTALL_HINT}`, { cause: err });
  }
}
