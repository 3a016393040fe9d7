/*
 * The semantic-convention names this package writes, copied from
 * `@opentelemetry/semantic-conventions` so that nothing depends on its
 * unstable (incubating) entry point. Messaging names follow the messaging
 * conventions (v1.27+ layout: `messaging.operation.type`,
 * `messaging.consumer.group.name`, `messaging.destination.partition.id`).
 *
 * Newer conventions also define `kafka.offset` and `kafka.message.key`; this
 * package keeps the `messaging.kafka.message.*` names that today's backends and
 * dashboards (and go-queue's own spans) use.
 */

/** Stable: the logical name of the service. */
export const ATTR_SERVICE_NAME = 'service.name' as const;
/** Stable: the class of error an operation ended with. */
export const ATTR_ERROR_TYPE = 'error.type' as const;

export const ATTR_MESSAGING_SYSTEM = 'messaging.system' as const;
export const MESSAGING_SYSTEM_VALUE_KAFKA = 'kafka' as const;
export const ATTR_MESSAGING_DESTINATION_NAME = 'messaging.destination.name' as const;
export const ATTR_MESSAGING_DESTINATION_PARTITION_ID =
  'messaging.destination.partition.id' as const;
export const ATTR_MESSAGING_CONSUMER_GROUP_NAME = 'messaging.consumer.group.name' as const;
export const ATTR_MESSAGING_OPERATION_TYPE = 'messaging.operation.type' as const;
export const ATTR_MESSAGING_OPERATION_NAME = 'messaging.operation.name' as const;
export const MESSAGING_OPERATION_TYPE_VALUE_PROCESS = 'process' as const;
export const MESSAGING_OPERATION_TYPE_VALUE_SEND = 'send' as const;
export const ATTR_MESSAGING_MESSAGE_BODY_SIZE = 'messaging.message.body.size' as const;
export const ATTR_MESSAGING_KAFKA_MESSAGE_KEY = 'messaging.kafka.message.key' as const;
export const ATTR_MESSAGING_KAFKA_MESSAGE_OFFSET = 'messaging.kafka.message.offset' as const;
export const ATTR_MESSAGING_KAFKA_MESSAGE_TOMBSTONE = 'messaging.kafka.message.tombstone' as const;

/** This package's own attributes: the task key the message was routed to, and which run this is. */
export const ATTR_TASKS_TASK_KEY = 'tasks.task.key' as const;
export const ATTR_TASKS_ATTEMPT = 'tasks.attempt' as const;
