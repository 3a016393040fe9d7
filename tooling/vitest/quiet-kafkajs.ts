// Test helpers make kafkajs clients of their own (admin, raw producers), often
// before the package makes one; quiet kafkajs's TimeoutNegativeWarning for
// them the same way @tasks/kafka does for its clients (and only that warning).
import { quietKafkajsNegativeTimeout } from '../../packages/kafka/src/client/kafka-client.js';

quietKafkajsNegativeTimeout();
