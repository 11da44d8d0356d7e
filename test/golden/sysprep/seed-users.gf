# Accounts for the user-account operation (after seed-linux-common.gf + seed-ubuntu.gf).
write /etc/login.defs "UID_MIN\t\t\t 1000\nUID_MAX\t\t\t60000\n"
write /etc/passwd "root:x:0:0:root:/root:/bin/bash\nalice:x:1000:1000::/home/alice:/bin/bash\nbob:x:1001:1001::/home/bob:/bin/bash\nnobody:x:65534:65534::/nonexistent:/usr/sbin/nologin\n"
write /etc/shadow "root:*:19000::::::\nalice:*:19000::::::\nbob:*:19000::::::\n"
write /etc/group "root:x:0:\nalice:x:1000:\nbob:x:1001:\nusers:x:100:alice,bob\n"
mkdir-p /home/bob
write /home/bob/.profile "bob"
