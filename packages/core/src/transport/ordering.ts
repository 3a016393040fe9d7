/**
 * How a consumer conf's runs may overlap:
 * - `unordered`: any message runs as soon as a processor is free (go-queue's behaviour);
 * - `partition`: one run at a time per partition, in offset order;
 * - `key`: messages with the same key run one after another in offset order,
 *   different keys run concurrently up to `processors`; null keys share one
 *   lane per partition, so they run in partition order.
 *
 * In every mode the committed offset only covers a contiguous run of finished messages.
 */
export const orderings = ['unordered', 'partition', 'key'] as const;
export type Ordering = (typeof orderings)[number];
