import type { Selectable } from 'kysely';
import type { Db, TokenRevocationTable } from '../storage/schema.js';

/** The `token_revocations` table: every query on it is here. */
export type TokenRevocationRow = Selectable<TokenRevocationTable>;

export async function insertTokenRevocation(db: Db, row: TokenRevocationRow): Promise<void> {
  await db.insertInto('token_revocations').values(row).execute();
}

/** Whether any revocation matches the token: its `jti`, or its `sub` with a `before` after its `iat` (epoch seconds). */
export async function revocationMatches(db: Db, t: { sub: string; jti?: string; iat: number }): Promise<boolean> {
  const row = await db
    .selectFrom('token_revocations')
    .select('id')
    .where((eb) => {
      const bySub = eb.and([eb('sub', '=', t.sub), eb('before', '>', t.iat)]);
      return t.jti === undefined ? bySub : eb.or([eb('jti', '=', t.jti), bySub]);
    })
    .limit(1)
    .executeTakeFirst();
  return row !== undefined;
}

/** Every revocation (a small table: revocations are rare), for the in-memory list. */
export function allTokenRevocations(db: Db): Promise<Array<Pick<TokenRevocationRow, 'jti' | 'sub' | 'before'>>> {
  return db.selectFrom('token_revocations').select(['jti', 'sub', 'before']).execute();
}
