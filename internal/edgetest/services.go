package edgetest

import "github.com/ocomms/ocomms-edge/internal/testsupport"

// The service handles moved to internal/testsupport, which capability tests
// use without linking Caddy. These names remain for the Caddy-backed tests
// until they all say testsupport.
const (
	RequireServicesEnv = testsupport.RequireServicesEnv
	SharedRedisAddr    = testsupport.SharedRedisAddr
	PostgresAdminURL   = testsupport.PostgresAdminURL
)

// RedisServer is testsupport.RedisServer.
type RedisServer = testsupport.RedisServer

var (
	ServiceUnavailable = testsupport.ServiceUnavailable
	SharedRedis        = testsupport.SharedRedis
	StartRedis         = testsupport.StartRedis
	StartRedisCluster  = testsupport.StartRedisCluster
	RedisTestPrefix    = testsupport.RedisTestPrefix
	TempDatabase       = testsupport.TempDatabase
	FreePort           = testsupport.FreePort
)
