#!/usr/bin/env python3
# Maintainer tool: (re)generate daemon/po/ja.po from mediagate.pot with the
# translations below (keys and values in .po escaped form). Run after
# `make pot`; untranslated messages stay empty (English at run time) and are
# listed on stderr.
import re, sys

T = {
# desktop notice (mediagated, daemon/src/notify.c)
'USB stick is read-only': 'USB メモリは読み取り専用です',
'Not a registered company stick: read-only.': '登録された会社支給の USB メモリではありません: 読み取り専用です。',
'USB device blocked': 'USB デバイスをブロックしました',
'Not allowed on this computer by the company policy: blocked.': '会社のポリシーにより、このコンピューターでは使用できません: ブロックしました。',
'Serial: %s': 'シリアル番号: %s',
'Label: %s': 'ラベル: %s',
'More USB sticks restricted': 'ほかの USB メモリも制限しました',
'Sticks made read-only or blocked since the last notice: %u': '前回の通知以降に読み取り専用またはブロックにした USB メモリ: %u 個',
'mediagatectl enroll: the passphrase is too short (at least %d bytes)\\n': 'mediagatectl enroll: パスフレーズが短すぎます (%d バイト以上)\\n',
# mediagatectl check
'usage: mediagatectl check [-v] [FILE]\\n  Check a policy file (default %s).\\n  -v  also print the canonical form\\n':
 '使い方: mediagatectl check [-v] [FILE]\\n  ポリシーファイルを検査します (既定値 %s)。\\n  -v  正規形も表示します\\n',
"mediagatectl check: unknown option '%s'\\n": "mediagatectl check: 不明なオプション '%s'\\n",
'mediagatectl check: too many arguments\\n': 'mediagatectl check: 引数が多すぎます\\n',
'policy OK\\n': 'ポリシーは正常です\\n',
# control-socket verbs (issue 4, cmd-daemon.c)
"mediagatectl: bad arguments for '%s'\\n": "mediagatectl: '%s' の引数が不正です\\n",
'mediagatectl: permission denied (root or group %s only)\\n': 'mediagatectl: 権限がありません (root またはグループ %s のみ)\\n',
'mediagatectl: cannot reach mediagated at %s: %s\\n': 'mediagatectl: %s の mediagated に接続できません: %s\\n',
'status                        the running daemon: policy, devices, decision times': 'status                        実行中のデーモン: ポリシー、デバイス、判定時間',
'list                          devices the daemon decided and their verdicts': 'list                          デーモンが判定したデバイスとその判定',
'allow DEV [--for DURATION]    allow a present device (until unplugged, or for a\\n                                 time that survives a re-plug of the same stick)':
 'allow DEV [--for DURATION]    接続中のデバイスを許可します (取り外すまで、または\\n                                 同じメモリの差し直しにも有効な期間)',
'block DEV                     block a present device until it is unplugged': 'block DEV                     接続中のデバイスを取り外すまでブロックします',
'reload                        reload the policy (kept if the new one has errors)': 'reload                        ポリシーを再読み込みします (誤りがあれば元のまま)',
'events [--since UNIX-TIME]    recent audit events from the daemon\'s ledger': 'events [--since UNIX-TIME]    デーモンの台帳にある最近の監査イベント',
'retired, seen again': '廃棄後に再検出',
'usage: mediagatectl verify DEVICE [--org-pub F] [--registry F] [--policy F]\\n         [--usb-id VVVV:PPPP --usb-serial S]\\n  Check that DEVICE is a registered company medium (registry and signed token).\\n':
 '使い方: mediagatectl verify DEVICE [--org-pub F] [--registry F] [--policy F]\\n         [--usb-id VVVV:PPPP --usb-serial S]\\n  DEVICE が登録済みの会社支給媒体か (登録簿と署名付きトークン) を確認します。\\n',
'not registered: %s\\n': '未登録: %s\\n',
'mediagatectl verify: no USB identity for %s: %s\\n': 'mediagatectl verify: %s の USB 識別情報がありません: %s\\n',
'mediagatectl verify: cannot load the organisation key %s: %s\\n': 'mediagatectl verify: 組織鍵 %s を読み込めません: %s\\n',
'mediagatectl verify: cannot read %s: %s\\n': 'mediagatectl verify: %s を読めません: %s\\n',
'registry: %s\\n': '登録簿: %s\\n',
'no organisation token in the LUKS2 header': 'LUKS2 ヘッダーに組織トークンがありません',
'registered: %s\\n': '登録済み: %s\\n',
'verify DEVICE [--org-pub F]   is it a registered medium (registry + signed token)?': 'verify DEVICE [--org-pub F]   登録済み媒体か確認します (登録簿 + 署名付きトークン)',
'Passphrase: ': 'パスフレーズ: ',
'Passphrase again: ': 'パスフレーズ (確認): ',
'yes': 'はい',
'mediagatectl: cannot record the %s in the inventory %s: %s\\n': 'mediagatectl: 台帳 %2$s に %1$s を記録できません: %3$s\\n',
'mediagatectl: cannot store the organisation token: %s\\n': 'mediagatectl: 組織トークンを保存できません: %s\\n',
'mediagatectl: %s: medium id %s or LUKS UUID %s is already in the registry\\n': 'mediagatectl: %s: 媒体 ID %s または LUKS UUID %s は既に登録簿にあります\\n',
'mediagatectl: cannot update the registry %s: %s\\n': 'mediagatectl: 登録簿 %s を更新できません: %s\\n',
'usage: mediagatectl enroll DEVICE --owner WHO --asset TAG [--label L]\\n         [--fs exfat|vfat|ext4|none] [--yes] [--key-file F] [--medium-id ID]\\n         [--registry F] [--policy F] [--org-key F] [--inventory F]\\n         [--usb-id VVVV:PPPP --usb-serial S]\\n  Erase DEVICE and make it a registered company medium (LUKS2 + signed token).\\n  The passphrase is asked on the terminal, or read from --key-file.\\n  --usb-id/--usb-serial give the USB identity of an image file (tests).\\n':
 '使い方: mediagatectl enroll DEVICE --owner WHO --asset TAG [--label L]\\n         [--fs exfat|vfat|ext4|none] [--yes] [--key-file F] [--medium-id ID]\\n         [--registry F] [--policy F] [--org-key F] [--inventory F]\\n         [--usb-id VVVV:PPPP --usb-serial S]\\n  DEVICE を消去し、登録済みの会社支給媒体にします (LUKS2 + 署名付きトークン)。\\n  パスフレーズは端末から入力するか、--key-file から読み込みます。\\n  --usb-id/--usb-serial はイメージファイルの USB 識別情報です (テスト用)。\\n',
'mediagatectl enroll: cannot open the new LUKS2 container to make the filesystem (%s); this needs root and dm-crypt.\\nThe header is written but the medium is NOT enrolled. Run again where device-mapper works, or use --fs none.\\n':
 'mediagatectl enroll: ファイルシステムを作るための新しい LUKS2 コンテナを開けません (%s)。root 権限と dm-crypt が必要です。\\nヘッダーは書き込まれましたが、媒体は登録されていません。device-mapper が使える環境で再実行するか、--fs none を指定してください。\\n',
'mediagatectl enroll: mkfs.%s failed on %s\\n': 'mediagatectl enroll: mkfs.%s が %s で失敗しました\\n',
"mediagatectl enroll: unknown option '%s'\\n": "mediagatectl enroll: 不明なオプション '%s'\\n",
"mediagatectl enroll: unknown filesystem '%s'\\n": "mediagatectl enroll: 不明なファイルシステム '%s'\\n",
'mediagatectl enroll: label not usable for %s\\n': 'mediagatectl enroll: このラベルは %s には使えません\\n',
'mediagatectl enroll: bad medium id (1-63 of A-Z a-z 0-9 . _ -)\\n': 'mediagatectl enroll: 媒体 ID が不正です (A-Z a-z 0-9 . _ - の 1〜63 文字)\\n',
'mediagatectl enroll: owner or asset too long or not clean text\\n': 'mediagatectl enroll: 所有者または資産番号が長すぎるか、使えない文字を含みます\\n',
'mediagatectl enroll: this stick is enrolled already as %s; retire it first\\n': 'mediagatectl enroll: このメモリは既に %s として登録されています。先に廃棄 (retire) してください\\n',
'mediagatectl: WARNING: %s is set: weak test-only key derivation\\n': 'mediagatectl: 警告: %s が設定されています: テスト専用の弱い鍵導出です\\n',
'mediagatectl enroll: refusing %s: %s\\n': 'mediagatectl enroll: %s は扱えません: %s\\n',
'mediagatectl enroll: %s is an image file: give --usb-id and --usb-serial\\n': 'mediagatectl enroll: %s はイメージファイルです: --usb-id と --usb-serial を指定してください\\n',
'mediagatectl enroll: no USB identity for %s: %s\\n': 'mediagatectl enroll: %s の USB 識別情報がありません: %s\\n',
'mediagatectl enroll: cannot load the organisation key %s: %s\\n': 'mediagatectl enroll: 組織鍵 %s を読み込めません: %s\\n',
'This ERASES everything on %s (USB %04x:%04x serial \\"%s\\").\\nType \'yes\' to continue: ':
 '%s (USB %04x:%04x シリアル \\"%s\\") の内容はすべて消去されます。\\n続けるには「はい」または yes と入力してください: ',
'mediagatectl enroll: not confirmed; nothing was changed\\n': 'mediagatectl enroll: 確認されなかったため、何も変更していません\\n',
'mediagatectl enroll: no passphrase: %s\\n': 'mediagatectl enroll: パスフレーズがありません: %s\\n',
'mediagatectl enroll: LUKS2 format of %s failed: %s\\n': 'mediagatectl enroll: %s の LUKS2 フォーマットに失敗しました: %s\\n',
'enrolled %s: LUKS2 %s (%s, %u-bit key), USB %04x:%04x, owner \\"%s\\", asset \\"%s\\"\\n':
 '%s を登録しました: LUKS2 %s (%s, %u ビット鍵), USB %04x:%04x, 所有者 \\"%s\\", 資産番号 \\"%s\\"\\n',
'no filesystem was made (--fs none)\\n': 'ファイルシステムは作成していません (--fs none)\\n',
'usage: mediagatectl org-key init [--private FILE] [--public FILE]\\n       mediagatectl org-key show [--public FILE]\\n  Create or show the organisation key pair (defaults %s, %s).\\n':
 '使い方: mediagatectl org-key init [--private FILE] [--public FILE]\\n        mediagatectl org-key show [--public FILE]\\n  組織の鍵ペアを作成または表示します (既定値 %s, %s)。\\n',
'mediagatectl org-key: cannot load %s: %s\\n': 'mediagatectl org-key: %s を読み込めません: %s\\n',
'organisation id: %s\\n': '組織 ID: %s\\n',
'public key: %s\\n': '公開鍵: %s\\n',
'mediagatectl org-key: %s exists; refusing to replace the organisation key\\n': 'mediagatectl org-key: %s は既に存在します。組織鍵は置き換えません\\n',
'mediagatectl org-key: cannot create the key pair: %s\\n': 'mediagatectl org-key: 鍵ペアを作成できません: %s\\n',
'created organisation key %s\\n': '組織鍵 %s を作成しました\\n',
'private key: %s (keep it on this machine only)\\n': '秘密鍵: %s (この端末以外に置かないでください)\\n',
'public key: %s (install it on every desktop)\\n': '公開鍵: %s (すべての端末に配布してください)\\n',
'usage: mediagatectl register DEVICE --owner WHO --asset TAG [--medium-id ID]\\n         [--key-file F] [--registry F] [--policy F] [--org-key F] [--inventory F]\\n         [--usb-id VVVV:PPPP --usb-serial S]\\n  Register an existing LUKS2 stick (needs its passphrase).\\n':
 '使い方: mediagatectl register DEVICE --owner WHO --asset TAG [--medium-id ID]\\n         [--key-file F] [--registry F] [--policy F] [--org-key F] [--inventory F]\\n         [--usb-id VVVV:PPPP --usb-serial S]\\n  既存の LUKS2 メモリを登録します (パスフレーズが必要です)。\\n',
'usage: mediagatectl unregister MEDIUM [--registry F] [--policy F] [--inventory F]\\n  Remove a medium (id or LUKS UUID) from the registry.\\n':
 '使い方: mediagatectl unregister MEDIUM [--registry F] [--policy F] [--inventory F]\\n  媒体 (ID または LUKS UUID) を登録簿から削除します。\\n',
'not a LUKS2 medium': 'LUKS2 の媒体ではありません',
'its cipher is not the one the policy requires': '暗号方式がポリシーの要求と異なります',
'its key is shorter than the policy requires': '鍵長がポリシーの要求より短いです',
'mediagatectl register: bad medium id, owner or asset\\n': 'mediagatectl register: 媒体 ID、所有者または資産番号が不正です\\n',
'mediagatectl register: refusing %s: %s\\n': 'mediagatectl register: %s は扱えません: %s\\n',
'mediagatectl register: no USB identity for %s: %s\\n': 'mediagatectl register: %s の USB 識別情報がありません: %s\\n',
'mediagatectl register: cannot read %s: %s\\n': 'mediagatectl register: %s を読めません: %s\\n',
'mediagatectl register: %s cannot be registered: %s\\n': 'mediagatectl register: %s は登録できません: %s\\n',
'mediagatectl register: cannot load the organisation key %s: %s\\n': 'mediagatectl register: 組織鍵 %s を読み込めません: %s\\n',
'mediagatectl register: the passphrase does not open %s\\n': 'mediagatectl register: このパスフレーズでは %s を開けません\\n',
'registered %s: LUKS2 %s, USB %04x:%04x, owner \\"%s\\", asset \\"%s\\"\\n': '%s を登録しました: LUKS2 %s, USB %04x:%04x, 所有者 \\"%s\\", 資産番号 \\"%s\\"\\n',
'mediagatectl unregister: %s is not in the registry %s\\n': 'mediagatectl unregister: %s は登録簿 %s にありません\\n',
'unregistered %s\\n': '%s の登録を解除しました\\n',
'usage: mediagatectl inventory [--format table|csv|json] [--bom] [--inventory F]\\n                              [--registry F] [--policy F]\\n       mediagatectl stocktake [--unseen 90d] [same options]\\n       mediagatectl history MEDIUM [same options]\\n':
 '使い方: mediagatectl inventory [--format table|csv|json] [--bom] [--inventory F]\\n                               [--registry F] [--policy F]\\n        mediagatectl stocktake [--unseen 90d] [同じオプション]\\n        mediagatectl history MEDIUM [同じオプション]\\n',
"mediagatectl: unknown format '%s'\\n": "mediagatectl: 不明な形式 '%s'\\n",
"mediagatectl: bad duration '%s' (e.g. 90d, 12w)\\n": "mediagatectl: 期間 '%s' が不正です (例: 90d, 12w)\\n",
'mediagatectl: cannot open the inventory %s: %s\\n': 'mediagatectl: 台帳 %s を開けません: %s\\n',
'mediagatectl: cannot write the report\\n': 'mediagatectl: レポートを書き出せません\\n',
'Medium': '媒体',
'Status': '状態',
'Owner': '所有者',
'Asset': '資産番号',
'USB ID': 'USB ID',
'Serial': 'シリアル',
'Media': '媒体種別',
'First seen': '初回検出',
'Last seen': '最終検出',
'Last host': '最終ホスト',
'Last user': '最終利用者',
'Mounts': 'マウント回数',
'Last verdict': '最終判定',
'retired': '廃棄済み',
'registered': '登録済み',
'unregistered': '未登録',
'mediagatectl inventory: %s\\n': 'mediagatectl inventory: %s\\n',
'Enrolled': '登録日',
'Days unseen': '未検出日数',
'mediagatectl stocktake: %s\\n': 'mediagatectl stocktake: %s\\n',
'Time': '日時',
'Event': 'イベント',
'Host': 'ホスト',
'Details': '詳細',
'mediagatectl history: nothing recorded for %s\\n': 'mediagatectl history: %s の記録はありません\\n',
'mediagatectl history: %s\\n': 'mediagatectl history: %s\\n',
'usage: mediagatectl retire DEVICE [--yes] [--registry F] [--policy F] [--inventory F]\\n         [--usb-id VVVV:PPPP --usb-serial S]\\n  Crypto-erase DEVICE (all keyslots and the LUKS2 header) and mark it retired.\\n':
 '使い方: mediagatectl retire DEVICE [--yes] [--registry F] [--policy F] [--inventory F]\\n         [--usb-id VVVV:PPPP --usb-serial S]\\n  DEVICE を暗号消去 (全キースロットと LUKS2 ヘッダー) し、廃棄済みにします。\\n',
'mediagatectl retire: refusing %s: %s\\n': 'mediagatectl retire: %s は扱えません: %s\\n',
'mediagatectl retire: %s has no LUKS2 header to erase\\n': 'mediagatectl retire: %s には消去する LUKS2 ヘッダーがありません\\n',
'mediagatectl retire: warning: LUKS UUID %s is not in the registry %s; erasing it anyway\\n': 'mediagatectl retire: 警告: LUKS UUID %s は登録簿 %s にありませんが、消去します\\n',
"This destroys every key of %s (medium %s); its data becomes unreadable for good.\\nType 'yes' to continue: ":
 '%s (媒体 %s) の鍵をすべて破棄します。データは二度と読めなくなります。\\n続けるには「はい」または yes と入力してください: ',
'mediagatectl retire: not confirmed; nothing was changed\\n': 'mediagatectl retire: 確認されなかったため、何も変更していません\\n',
'mediagatectl retire: crypto-erase of %s failed: %s\\n': 'mediagatectl retire: %s の暗号消去に失敗しました: %s\\n',
'retired %s: %d keyslot(s) destroyed, header area wiped, no LUKS signature left\\n': '%s を廃棄しました: キースロット %d 個を破棄、ヘッダー領域を消去、LUKS 署名は残っていません\\n',
'check [-v] [FILE]            check a policy file': 'check [-v] [FILE]            ポリシーファイルを検査します',
'explain SYSFS-PATH [--policy FILE] [--media none|plain[:LABEL]|luks2:UUID...]\\n                                 the verdict for a device and the rule that decided it':
 'explain SYSFS-PATH [--policy FILE] [--media none|plain[:LABEL]|luks2:UUID...]\\n                                 デバイスの判定と、それを決めた規則を表示します',
'enroll DEVICE --owner WHO --asset TAG [--fs exfat|vfat|ext4|none] [--yes] ...\\n                                 erase a stick and make it a registered company medium':
 'enroll DEVICE --owner WHO --asset TAG [--fs exfat|vfat|ext4|none] [--yes] ...\\n                                 メモリを消去し、登録済みの会社支給媒体にします',
'register DEVICE --owner WHO --asset TAG ...\\n                                 register an existing LUKS2 stick':
 'register DEVICE --owner WHO --asset TAG ...\\n                                 既存の LUKS2 メモリを登録します',
'unregister MEDIUM             remove a medium from the registry': 'unregister MEDIUM             媒体を登録簿から削除します',
'retire DEVICE [--yes]         crypto-erase a medium and mark it retired': 'retire DEVICE [--yes]         媒体を暗号消去し、廃棄済みにします',
'org-key init|show             create or show the organisation key pair': 'org-key init|show             組織の鍵ペアを作成・表示します',
'inventory [--format table|csv|json] [--bom]\\n                                 every medium of the ledger':
 'inventory [--format table|csv|json] [--bom]\\n                                 台帳のすべての媒体を表示します',
'stocktake [--unseen 90d] [--format ...]\\n                                 registered media not seen within the period':
 'stocktake [--unseen 90d] [--format ...]\\n                                 期間内に検出されていない登録媒体 (棚卸し)',
'history MEDIUM [--format ...]  every recorded event of one medium': 'history MEDIUM [--format ...]  媒体の記録をすべて表示します',
'usage: mediagatectl VERB [ARGS]\\n\\nverbs:\\n': '使い方: mediagatectl VERB [ARGS]\\n\\nサブコマンド:\\n',
"mediagatectl: unknown verb '%s'\\n": "mediagatectl: 不明なサブコマンド '%s'\\n",
# central ledger (issue 8, cmd-report.c --db)
'  --db postgresql://USER@HOST/DB  the central ledger (fleet-wide) instead of --inventory\\n': '  --db postgresql://USER@HOST/DB  --inventory の代わりに中央台帳 (全社) を使う\\n',
'mediagatectl: --db wants a postgresql:// URL\\n': 'mediagatectl: --db には postgresql:// の URL を指定してください\\n',
}

def main(pot, out):
    text = open(pot, encoding='utf-8').read()
    blocks = text.split('\n\n')
    res, missing = [], []
    header = ('# Japanese translation of mediagate.\n'
              '# This file is distributed under the same license as mediagate.\n'
              'msgid ""\nmsgstr ""\n'
              '"Project-Id-Version: mediagate\\n"\n'
              '"PO-Revision-Date: 2026-11-21 00:00+0000\\n"\n'
              '"Last-Translator: mediagate developers\\n"\n'
              '"Language-Team: Japanese\\n"\n'
              '"Language: ja\\n"\n'
              '"MIME-Version: 1.0\\n"\n'
              '"Content-Type: text/plain; charset=UTF-8\\n"\n'
              '"Content-Transfer-Encoding: 8bit\\n"\n'
              '"Plural-Forms: nplurals=1; plural=0;\\n"\n')
    res.append(header)
    for b in blocks[1:]:
        m = re.search(r'^msgid ((?:".*"\n?)+)msgstr ""', b, re.M)
        if not m:
            continue
        mid = ''.join(re.findall(r'"((?:[^"\\]|\\.)*)"', m.group(1)))
        comments = b[:m.start()]
        tr = T.get(mid)
        if tr is None:
            missing.append(mid)
            tr = ''
        res.append(comments + 'msgid ' + m.group(1).rstrip('\n') + '\nmsgstr "' + tr + '"\n')
    open(out, 'w', encoding='utf-8').write('\n'.join(res))
    for mid in missing:
        print('untranslated:', mid, file=sys.stderr)

main(sys.argv[1], sys.argv[2])
