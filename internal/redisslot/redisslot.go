// Package redisslot computes the Redis Cluster hash slot of a key, so the
// stores that must group keys by slot (the rate limiter's and the lockout's
// Redis stores) agree with the server and with each other. It is a leaf: it
// imports only the standard library (no Redis client, no Caddy, no audit
// log, no pgx).
package redisslot

import "strings"

// Slots is the number of hash slots of a Redis Cluster.
const Slots = 16384

// Of is the Redis Cluster hash slot of key: CRC16 (XMODEM) of its hash tag
// (the text between the first "{" and the next "}", when not empty), else
// of the whole key, modulo 16384.
func Of(key string) uint16 {
	if open := strings.IndexByte(key, '{'); open >= 0 {
		if n := strings.IndexByte(key[open+1:], '}'); n > 0 {
			key = key[open+1 : open+1+n]
		}
	}
	return CRC16(key) % Slots
}

// CRC16 is CRC-16/XMODEM (polynomial 0x1021, initial value 0), as Redis
// Cluster specifies, computed bit by bit: keys are short.
func CRC16(s string) uint16 {
	var crc uint16
	for i := 0; i < len(s); i++ {
		crc ^= uint16(s[i]) << 8
		for bit := 0; bit < 8; bit++ {
			if crc&0x8000 != 0 {
				crc = crc<<1 ^ 0x1021
			} else {
				crc <<= 1
			}
		}
	}
	return crc
}
