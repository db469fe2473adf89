"""The audit log: who did what to which object, when and from where, in a hash chain that shows any
later edit, deletion or reordering (`flask --app wsgi audit verify`).

It sits just above the kernel and imports no domain: every domain records through
`app.audit.operations.record`, and the composition registers its page and command.
"""
