import { describe, expect, it } from 'vitest';
import { parseKeyStreams, sumKeyStreams } from './key-streams.js';

describe('per-key stream counts in the heartbeat row', () => {
  it('a row that is not an object of positive whole counts reads as no streams, so it can never lower or break the cap', () => {
    expect(parseKeyStreams('{"k1":3,"k2":0,"k3":-1,"k4":1.5,"k5":"9"}')).toEqual({ k1: 3 });
    for (const bad of ['[]', 'null', 'not json', '', undefined, null]) expect(parseKeyStreams(bad)).toEqual({});
  });

  it('the other replicas\' counts are summed per key', () => {
    expect(sumKeyStreams([{ a: 2, b: 1 }, { a: 3 }, {}])).toEqual(new Map([['a', 5], ['b', 1]]));
  });
});
