import { ConfigError } from '@tasks/core';
import { murmur2, partitionForKey } from '@tasks/testing';
import { describe, expect, it } from 'vitest';
// Not exported: the partitioner's own building block.
import { toPositive } from '../../src/broker/partitioner.js';

// From Kafka's UtilsTest.testMurmur2 and kafkajs's defaultJava/Test.java (both run the Java code).
const javaVectors: Record<string, number> = {
  '21': -973932308,
  foobar: -790332482,
  'a-little-bit-long-string': -985981536,
  'a-little-bit-longer-string': -1486304829,
  lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8: -58897971,
  abc: 479470107,
  '0': 971027396,
  '1': -1993445489,
  '128': -326012175,
  '2187': -1508407203,
  '16384': -325739742,
  '78125': -1654490814,
  '279936': 1462227128,
  '823543': -2014198330,
  '2097152': 607668903,
  '4782969': -1182699775,
  '10000000': -1830336757,
  '19487171': -1603849305,
  '35831808': -857013643,
  '62748517': -1167431028,
  '105413504': -381294639,
  '170859375': -1658323481,
  '100:48069': 1009543857,
};

describe('murmur2', () => {
  it.each(Object.entries(javaVectors))('hashes %j as the Java client does', (key, expected) => {
    expect(murmur2(Buffer.from(key, 'utf8'))).toBe(expected);
  });

  it('hashes an empty key and non-UTF-8 bytes', () => {
    // Values from a Python port of the Java code (checked against the vectors above).
    expect(murmur2(Buffer.alloc(0))).toBe(275646681);
    expect(murmur2(Buffer.from([0x00, 0xff, 0x80]))).toBe(-1788735621);
  });

  it('hashes multi-byte UTF-8 keys by their bytes', () => {
    expect(murmur2(Buffer.from('ключ', 'utf8'))).toBe(2122343024);
  });
});

describe('toPositive', () => {
  it('clears the sign bit instead of negating', () => {
    expect(toPositive(-1)).toBe(0x7fffffff);
    expect(toPositive(-2147483648)).toBe(0);
    expect(toPositive(-973932308)).toBe(1173551340);
    expect(toPositive(12345)).toBe(12345);
  });
});

describe('partitionForKey', () => {
  it.each([
    ['21', 6, 0],
    ['foobar', 12, 6],
    ['abc', 6, 3],
    ['0', 12, 8],
    ['1', 6, 3],
    ['128', 6, 5],
    ['100:48069', 12, 9],
    ['user-42', 3, 1],
    ['ключ', 12, 8],
  ] as const)('puts %j among %i partitions on %i', (key, partitions, expected) => {
    expect(partitionForKey(key, partitions)).toBe(expected);
  });

  it('treats a string key as its UTF-8 bytes', () => {
    expect(partitionForKey(Buffer.from('user-42'), 6)).toBe(partitionForKey('user-42', 6));
  });

  it('rejects a partition count that is not a whole number >= 1', () => {
    expect(() => partitionForKey('a', 0)).toThrow(ConfigError);
    expect(() => partitionForKey('a', 1.5)).toThrow(/partitions: .*whole number/);
  });
});
