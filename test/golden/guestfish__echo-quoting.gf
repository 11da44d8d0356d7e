echo ===echo plain===
echo a b   c
echo ===echo none===
echo
echo ===echo dq===
echo "a  b"
echo ===echo sq===
echo 'a  b'
echo ===echo dq escapes===
echo "tab\there nl\nx q\"q bs\\ hex\x41 oct\101 bel\a. cr\r. ff\f. vt\v. bs\b."
echo ===echo sq escapes===
echo 'tab\there q"q'
echo ===echo dq with sq inside===
echo "it's"
echo ===echo sq with dq inside===
echo 'say "hi"'
echo ===echo hash mid-line===
echo a # comment
echo ===echo a#b===
echo a#b
echo ===echo empty dq===
echo "" x
echo ===echo empty sq===
echo '' x
echo ===echo a"b" (quote inside word)===
echo a"b"
echo ===echo backslash-space===
echo a\ b
echo ===leading spaces===
    echo leading
	echo leading-tab
# full-line comment
echo ===after comment===
echo ===blank line next===

echo ===echo utf8===
echo "ünïcødé 日本語"
echo ===echo dq hex lowercase===
echo "\x6a\x4A"
echo ===end===
