/**
 * Shape of the single DynamoDB table, shared by the CDK stack, the local stack's table setup and
 * the stores, so all three agree on key names.
 */
export const tableSchema = {
  partitionKey: 'pk',
  sortKey: 'sk',
  /** Sparse GSI: only session items carry gsi1pk (= USER#<userId>), for "sessions of a user". */
  sessionsByUserIndex: {
    indexName: 'sessions-by-user',
    partitionKey: 'gsi1pk',
    sortKey: 'gsi1sk',
    /**
     * Only what logout-all reads. Refreshes update generation/lastUsedAt/rotatedAt, none of them
     * projected, so a refresh costs no index write (about half its DynamoDB cost with ALL).
     */
    projectedAttributes: ['id', 'revokedAt'],
  },
  /** Epoch seconds; DynamoDB TTL only cleans up (and late): every expiry is also enforced in code. */
  timeToLiveAttribute: 'expiresAt',
  /** The stream that feeds the mailer: inserted intents are all it needs, so new images only. */
  streamViewType: 'NEW_IMAGE',
} as const;
