"""The transactional outbox: side effects recorded with the change that causes them.

A service that must cause something after its change (an e-mail, a letter, a
package's closing at its deadline) calls `outbox.services.outbox_add` inside
its transaction. The row commits with the change or not at all. After the
commit it is handed to the broker at once (best effort, failing fast), and
`outbox.flush`, on beat every 30 seconds in every authority and in the public
schema, hands over whatever is still unsent. The task that does the work is
given the row's id and marks it sent, so it is safe to run twice.
"""
