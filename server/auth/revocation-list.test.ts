import { afterEach, describe, expect, it } from 'vitest';
import { openTestDatabase } from '../../test/helpers/test-db.js';
import { insertTokenRevocation } from './token-revocation-store.js';
import { RevocationList } from './revocation-list.js';

let opened: Awaited<ReturnType<typeof openTestDatabase>> | undefined;
afterEach(async () => opened?.close());

async function world() {
  opened = await openTestDatabase();
  let version = 1;
  const list = new RevocationList(opened.db, () => version);
  await list.load();
  return { db: opened.db, list, otherProcessCommitted: () => version++ };
}

const row = (o: { jti?: string; sub?: string; before?: number }) => ({
  id: crypto.randomUUID(), jti: o.jti ?? null, sub: o.sub ?? null, before: o.before ?? null,
  revoked_at: '2026-12-01T10:00:00.000Z', revoked_by: 'admin', reason: 'leaked',
});

describe('the in-memory revocation list', () => {
  it('answers from memory: a revocation this process made is refused at once, without a database read', async () => {
    const { list } = await world();
    expect(await list.isRevoked({ sub: 'erin', jti: 'leaked', iat: 100 })).toBe(false);
    list.add(row({ jti: 'leaked' }));
    list.add(row({ sub: 'frank', before: 200 }));
    expect(await list.isRevoked({ sub: 'erin', jti: 'leaked', iat: 100 })).toBe(true);
    expect(await list.isRevoked({ sub: 'erin', jti: 'other', iat: 100 })).toBe(false);
    expect(await list.isRevoked({ sub: 'frank', iat: 199 })).toBe(true);
    expect(await list.isRevoked({ sub: 'frank', iat: 200 })).toBe(false);
    expect(await list.isRevoked({ sub: 'frank' })).toBe(true);
  });

  it('reloads when another process committed (switchyard revoke-token), so its revocation counts on the next check', async () => {
    const { db, list, otherProcessCommitted } = await world();
    await insertTokenRevocation(db, row({ jti: 'from-cli' }));
    // Not yet: nothing says another connection wrote.
    expect(await list.isRevoked({ sub: 'gita', jti: 'from-cli', iat: 1 })).toBe(false);
    otherProcessCommitted();
    expect(await list.isRevoked({ sub: 'gita', jti: 'from-cli', iat: 1 })).toBe(true);
  });

  it('loads every revocation already stored when it starts', async () => {
    const { db } = (opened = await openTestDatabase());
    await insertTokenRevocation(db, row({ sub: 'hana', before: 500 }));
    const list = new RevocationList(db, () => 1);
    await list.load();
    expect(await list.isRevoked({ sub: 'hana', iat: 499 })).toBe(true);
  });
});
