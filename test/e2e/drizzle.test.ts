/**
 * drizzle-orm end to end through Skiff: `neon-http` (select, insert … returning, db.batch) over `/sql`,
 * and `neon-serverless` (db.transaction with a nested savepoint) over the WebSocket endpoint.
 */
import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import { neon, Pool } from '@neondatabase/serverless'
import { asc, sql as dsql, eq } from 'drizzle-orm'
import { drizzle as drizzleHttp } from 'drizzle-orm/neon-http'
import { drizzle as drizzleWs } from 'drizzle-orm/neon-serverless'
import { boolean, integer, jsonb, pgTable, serial, text, timestamp } from 'drizzle-orm/pg-core'
import { pgClient } from '../helpers/clients.js'
import { startTestGateway, type TestGateway } from '../helpers/gateway.js'
import { useGateway } from '../helpers/neon.js'
import { directUrl } from '../helpers/topology.js'

const authors = pgTable('dz_authors', {
  id: serial('id').primaryKey(),
  name: text('name').notNull(),
  active: boolean('active').notNull().default(true),
  meta: jsonb('meta').$type<{ tags: string[] }>(),
  createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
})

const posts = pgTable('dz_posts', {
  id: serial('id').primaryKey(),
  authorId: integer('author_id')
    .notNull()
    .references(() => authors.id),
  title: text('title').notNull(),
})

describe('drizzle-orm through Skiff', () => {
  let gw: TestGateway
  before(async () => {
    gw = await startTestGateway()
    useGateway(gw)
    await using su = await pgClient(directUrl())
    await su.query(`drop table if exists dz_posts, dz_authors;
      create table dz_authors (id serial primary key, name text not null, active boolean not null default true,
        meta jsonb, created_at timestamptz not null default now());
      create table dz_posts (id serial primary key, author_id int not null references dz_authors(id), title text not null);
      grant all on dz_authors, dz_posts to skiff_scram; grant all on all sequences in schema public to skiff_scram`)
  })
  after(() => gw.stop())

  it('neon-http: insert … returning, select with a filter, db.batch', async () => {
    const db = drizzleHttp(neon(gw.url('scram')))
    const [ada] = await db
      .insert(authors)
      .values({ name: 'Ada', meta: { tags: ['math'] } })
      .returning()
    assert.equal(ada?.name, 'Ada')
    assert.deepStrictEqual(ada?.meta, { tags: ['math'] })
    assert.ok(ada?.createdAt instanceof Date)
    const found = await db
      .select({ id: authors.id, name: authors.name })
      .from(authors)
      .where(eq(authors.id, ada!.id))
    assert.deepStrictEqual(found, [{ id: ada!.id, name: 'Ada' }])
    const [inserted, titles, count] = await db.batch([
      db.insert(posts).values({ authorId: ada!.id, title: 'Notes' }).returning({ id: posts.id }),
      db.select({ title: posts.title }).from(posts).orderBy(asc(posts.id)),
      db.select({ n: dsql<number>`count(*)::int` }).from(posts),
    ])
    assert.equal(inserted.length, 1)
    assert.deepStrictEqual(titles, [{ title: 'Notes' }])
    assert.deepStrictEqual(count, [{ n: 1 }])
  })

  it('neon-http: a failing db.batch changes nothing', async () => {
    const db = drizzleHttp(neon(gw.url('scram')))
    const before = await db.select({ n: dsql<number>`count(*)::int` }).from(authors)
    await assert.rejects(
      db.batch([
        db.insert(authors).values({ name: 'Ghost' }),
        db.insert(posts).values({ authorId: -1, title: 'x' }),
      ]),
      { code: '23503' },
    )
    assert.deepStrictEqual(await db.select({ n: dsql<number>`count(*)::int` }).from(authors), before)
  })

  it('neon-serverless: db.transaction with a nested savepoint that rolls back', async () => {
    const pool = new Pool({ connectionString: gw.url('scram') })
    try {
      const db = drizzleWs(pool)
      await db.transaction(async (tx) => {
        const [grace] = await tx.insert(authors).values({ name: 'Grace' }).returning({ id: authors.id })
        await tx.insert(posts).values({ authorId: grace!.id, title: 'Compilers' })
        await assert.rejects(
          tx.transaction(async (nested) => {
            await nested.insert(posts).values({ authorId: grace!.id, title: 'Discarded' })
            nested.rollback()
          }),
        )
        const titles = await tx
          .select({ title: posts.title })
          .from(posts)
          .where(eq(posts.authorId, grace!.id))
        assert.deepStrictEqual(titles, [{ title: 'Compilers' }])
      })
      const names = await db.select({ name: authors.name }).from(authors).orderBy(asc(authors.id))
      assert.deepStrictEqual(
        names.map((r) => r.name),
        ['Ada', 'Grace'],
      )
      const discarded = await db.select().from(posts).where(eq(posts.title, 'Discarded'))
      assert.deepStrictEqual(discarded, [])
    } finally {
      await pool.end()
    }
  })
})
