import { GetCommand, TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import { describe, expect, it } from 'vitest';
import { handler } from '../../functions/verify/handler';
import { dynamo } from '../../shared/aws/dynamodb';
import {
  TRANSACTION_ATTEMPTS, refusalReasons, transactWrite, transactWriteIfConditionsHold, transactWriteIfFirstHolds,
} from '../../shared/aws/dynamodb-transactions';
import { problemResponse } from '../../shared/http/problem';
import { hashVerificationToken } from '../../shared/tokens/verification-token';
import { awsError, ddbMock, transactionCanceled } from '../support/aws';
import { apiEvent, lambdaContext } from '../support/events';
import { expectProblem, setCookies } from '../support/replies';

/**
 * DynamoDB cancels a transaction that meets another one on the same item (TransactionConflict).
 * That is a race, not a fault of the request: it is retried a few times, then answered 503.
 */
const token = 'vt1_AbCdEfGhIjKlMnOpQrStUvWxYz0123456789-_AbCd';
const tokenHash = hashVerificationToken(token);
const verify = () => handler(apiEvent({ path: '/auth/verify', body: { token, password: 'correct horse battery' } }), lambdaContext);

/** The mailer stored a sign-up link for alice@example.com whose token is `token`. */
async function givenPendingUser() {
  ddbMock
    .on(GetCommand, { Key: { pk: `SIGNUP#${tokenHash}`, sk: 'SIGNUP' } })
    .resolves({ Item: { pk: `SIGNUP#${tokenHash}`, sk: 'SIGNUP', email: 'alice@example.com', expiresAt: Math.ceil(Date.now() / 1000) + 3600 } });
}

const conflict = () => transactionCanceled(['None', 'TransactionConflict', 'None']);
const transactionAttempts = () => ddbMock.commandCalls(TransactWriteCommand).length;

describe('DynamoDB transaction conflicts', () => {
  it('retries a transaction cancelled by a conflict and answers as if nothing happened', async () => {
    // Prepare
    await givenPendingUser();
    ddbMock.on(TransactWriteCommand).rejectsOnce(conflict()).rejectsOnce(conflict()).resolves({});

    // Act
    const reply = await verify();

    // Assess
    expect(reply.statusCode).toBe(200);
    expect(setCookies(reply).filter((cookie) => cookie.startsWith('refresh_token='))).toHaveLength(1);
    expect(transactionAttempts()).toBe(3);
  });

  it('retries a TransactionConflictException the same way', async () => {
    // Prepare
    await givenPendingUser();
    ddbMock.on(TransactWriteCommand).rejectsOnce(awsError('TransactionConflictException')).resolves({});

    // Act
    const reply = await verify();

    // Assess
    expect(reply.statusCode).toBe(200);
    expect(transactionAttempts()).toBe(2);
  });

  it(`gives up after ${TRANSACTION_ATTEMPTS} attempts with 503 service_unavailable, Retry-After and no cookie`, async () => {
    // Prepare
    await givenPendingUser();
    ddbMock.on(TransactWriteCommand).rejects(conflict());

    // Act
    const reply = await verify();

    // Assess
    expectProblem(reply, 503, 'service_unavailable');
    expect(Number(reply.headers?.['Retry-After'])).toBeGreaterThanOrEqual(1);
    expect(setCookies(reply)).toEqual([]);
    expect(transactionAttempts()).toBe(TRANSACTION_ATTEMPTS);
  });

  it('never retries a failed condition, even next to a conflict: the condition is the answer', async () => {
    // Prepare
    await givenPendingUser();
    ddbMock.on(TransactWriteCommand).rejects(transactionCanceled(['ConditionalCheckFailed', 'TransactionConflict', 'None']));

    // Act
    const reply = await verify();

    // Assess
    expectProblem(reply, 400, 'invalid_token');
    expect(transactionAttempts()).toBe(1);
  });
});

describe('transactWrite, the one way the stores send a transaction', () => {
  const items = [{ Put: { TableName: 'auth-test', Item: { pk: 'X', sk: 'X' } } }];

  it('sends the items once when there is no conflict', async () => {
    // Act
    await transactWrite(dynamo, items);

    // Assess
    expect(ddbMock.commandCalls(TransactWriteCommand).map((call) => call.args[0].input)).toEqual([{ TransactItems: items }]);
  });

  it('passes any other failure straight up, unretried, so outages and conditions keep their meaning', async () => {
    // Prepare
    ddbMock.on(TransactWriteCommand).rejects(awsError('ValidationException'));

    // Act
    const failure = await transactWrite(dynamo, items).catch((error: unknown) => error);

    // Assess
    expect((failure as Error).name).toBe('ValidationException');
    expect(problemResponse(failure).statusCode).toBe(500);
    expect(transactionAttempts()).toBe(1);
  });

  it('turns a conflict that outlasts the retries into a 503 with Retry-After', async () => {
    // Prepare
    ddbMock.on(TransactWriteCommand).rejects(awsError('TransactionConflictException'));

    // Act
    const failure = await transactWrite(dynamo, items).catch((error: unknown) => error);

    // Assess
    const reply = problemResponse(failure);
    expectProblem(reply, 503, 'service_unavailable');
    expect(reply.headers?.['Retry-After']).toBeDefined();
    expect(transactionAttempts()).toBe(TRANSACTION_ATTEMPTS);
  });
});

/** Two items, each with a condition (what the mocked cancellations below refer to by index). */
const conditionalItems = [
  { Delete: { TableName: 'auth-test', Key: { pk: 'X', sk: 'X' }, ConditionExpression: 'attribute_exists(pk)' } },
  { Put: { TableName: 'auth-test', Item: { pk: 'Y', sk: 'Y' }, ConditionExpression: 'attribute_not_exists(pk)' } },
];

describe('transactWriteIfFirstHolds, a transaction decided by its first item\'s condition', () => {
  const items = conditionalItems;

  it('answers true when the transaction is written', async () => {
    // Act
    const written = await transactWriteIfFirstHolds(dynamo, items);

    // Assess
    expect(written).toBe(true);
    expect(ddbMock.commandCalls(TransactWriteCommand).map((call) => call.args[0].input)).toEqual([{ TransactItems: items }]);
  });

  it('answers false, without a retry, when the first item\'s condition failed', async () => {
    // Prepare
    ddbMock.on(TransactWriteCommand).rejects(transactionCanceled(['ConditionalCheckFailed', 'None']));

    // Act
    const written = await transactWriteIfFirstHolds(dynamo, items);

    // Assess
    expect(written).toBe(false);
    expect(transactionAttempts()).toBe(1);
  });

  it('passes up a failed condition on any other item: only the first one is an answer', async () => {
    // Prepare
    ddbMock.on(TransactWriteCommand).rejects(transactionCanceled(['None', 'ConditionalCheckFailed']));

    // Act
    const failure = await transactWriteIfFirstHolds(dynamo, items).catch((error: unknown) => error);

    // Assess
    expect((failure as Error).name).toBe('TransactionCanceledException');
    expect(problemResponse(failure).statusCode).toBe(500);
  });

  it('passes up every other failure, a conflict that outlasts the retries still a 503', async () => {
    // Prepare
    ddbMock.on(TransactWriteCommand).rejectsOnce(awsError('ValidationException')).rejects(conflict());

    // Act
    const invalid = await transactWriteIfFirstHolds(dynamo, items).catch((error: unknown) => error);
    const conflicted = await transactWriteIfFirstHolds(dynamo, items).catch((error: unknown) => error);

    // Assess
    expect((invalid as Error).name).toBe('ValidationException');
    expectProblem(problemResponse(conflicted), 503, 'service_unavailable');
    expect(transactionAttempts()).toBe(1 + TRANSACTION_ATTEMPTS);
  });
});

describe('refusalReasons and transactWriteIfConditionsHold, transactions refused by any item\'s condition', () => {
  const items = conditionalItems;

  it('answer undefined and true when the transaction is written', async () => {
    // Act
    const reasons = await refusalReasons(dynamo, items);
    const written = await transactWriteIfConditionsHold(dynamo, items);

    // Assess
    expect(reasons).toBeUndefined();
    expect(written).toBe(true);
  });

  it('answer the reasons in item order and false when a later item\'s condition failed', async () => {
    // Prepare
    ddbMock.on(TransactWriteCommand).rejects(transactionCanceled(['None', 'ConditionalCheckFailed']));

    // Act
    const reasons = await refusalReasons(dynamo, items);
    const written = await transactWriteIfConditionsHold(dynamo, items);

    // Assess
    expect(reasons).toEqual(['None', 'ConditionalCheckFailed']);
    expect(written).toBe(false);
  });

  it('pass up a cancellation without a failed condition and every other failure', async () => {
    // Prepare
    ddbMock.on(TransactWriteCommand).rejectsOnce(transactionCanceled(['None', 'ValidationError'])).rejects(awsError('ValidationException'));

    // Act
    const cancelled = await transactWriteIfConditionsHold(dynamo, items).catch((error: unknown) => error);
    const invalid = await refusalReasons(dynamo, items).catch((error: unknown) => error);

    // Assess
    expect((cancelled as Error).name).toBe('TransactionCanceledException');
    expect((invalid as Error).name).toBe('ValidationException');
  });
});
