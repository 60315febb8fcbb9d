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
  /**
   * Sparse GSI for the admin's user list: only user items carry gsi2pk (= USERS) and gsi2sk (=
   * their email), so a Query lists users in email order and an email prefix is a key condition
   * (no scans). One partition: admin listings are rare, and sign-ups write it far below its limit.
   */
  usersByEmailIndex: {
    indexName: 'users-by-email',
    partitionKey: 'gsi2pk',
    sortKey: 'gsi2sk',
    partitionValue: 'USERS',
    /** What the list shows; never the password hash or any two-factor secret. */
    projectedAttributes: ['id', 'email', 'username', 'createdAt', 'roles', 'disabled'],
  },
  /** Epoch seconds; DynamoDB TTL only cleans up (and late): every expiry is also enforced in code. */
  timeToLiveAttribute: 'expiresAt',
  /** The stream that feeds the mailer: inserted intents are all it needs, so new images only. */
  streamViewType: 'NEW_IMAGE',
} as const;
