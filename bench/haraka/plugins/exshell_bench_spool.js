// The benchmark's queue for Haraka: each message in a file of its own, fsynced before the 250 (what exshell and
// the aiosmtpd sink do). The message stream is piped into haraka-utils' FsyncWriteStream, which fsyncs before
// it closes; the reply goes out on 'close'. With EXSHELL_BENCH_DIRSYNC=1 the spool directory is fsynced too
// before the 250 (the new file's directory entry, as exshell and the aiosmtpd sink make durable); without it,
// the file only (as Postfix, and as the Haraka runs did). No delivery.
'use strict'

const fs = require('node:fs')
const path = require('node:path')
const { FsyncWriteStream } = require('haraka-utils')

exports.register = function () {
    this.dir = path.join(process.env.EXSHELL_BENCH_SPOOL || '/nonexistent', String(process.pid))
    fs.mkdirSync(this.dir, { recursive: true })
    this.dirsync = process.env.EXSHELL_BENCH_DIRSYNC === '1'
    this.count = 0
    this.register_hook('queue', 'spool')
    this.register_hook('queue_outbound', 'spool')
}

exports.spool = function (next, connection) {
    const out = new FsyncWriteStream(path.join(this.dir, `${++this.count}.eml`), { flags: 'wx' })
    let answered = false
    const answer = (code, text) => {
        if (!answered) {
            answered = true
            next(code, text)
        }
    }
    const failed = (err) => {
        connection.logerror(this, `spool write failed: ${err}`)
        answer(DENYSOFT, 'spool write failed')
    }
    out.once('close', () => {
        if (!this.dirsync) return answer(OK)
        fs.open(this.dir, 'r', (err, fd) => {
            if (err) return failed(err)
            fs.fsync(fd, (syncErr) => fs.close(fd, () => (syncErr ? failed(syncErr) : answer(OK))))
        })
    })
    out.once('error', failed)
    connection.transaction.message_stream.pipe(out, { dot_stuffed: false })
}
