// The benchmark's relay policy for Haraka: a client on 127.0.0.0/8 may relay (exshell's bench connector grants
// anonymous relay to the same range); any other client gets Haraka's default (no relaying).
'use strict'

const LOOPBACK = /^(::ffff:)?127\.\d+\.\d+\.\d+$/

exports.hook_connect = function (next, connection) {
    connection.relaying = LOOPBACK.test(connection.remote.ip)
    next()
}
