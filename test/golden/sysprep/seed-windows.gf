# Windows: backup-files looks everywhere on non-Unix guests.
mkdir-p /Users/alice/Documents
write /Users/alice/Documents/report.doc.bak "bak"
write /Users/alice/Documents/notes.txt~ "tilde"
write /Users/alice/Documents/keep.txt "kept"
