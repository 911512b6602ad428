
using namespace System.Management.Automation
using namespace System.Management.Automation.Language

Register-ArgumentCompleter -Native -CommandName 'tokenwallet' -ScriptBlock {
    param($wordToComplete, $commandAst, $cursorPosition)

    $commandElements = $commandAst.CommandElements
    $command = @(
        'tokenwallet'
        for ($i = 1; $i -lt $commandElements.Count; $i++) {
            $element = $commandElements[$i]
            if ($element -isnot [StringConstantExpressionAst] -or
                $element.StringConstantType -ne [StringConstantType]::BareWord -or
                $element.Value.StartsWith('-') -or
                $element.Value -eq $wordToComplete) {
                break
        }
        $element.Value
    }) -join ';'

    $completions = @(switch ($command) {
        'tokenwallet' {
            [CompletionResult]::new('--home', '--home', [CompletionResultType]::ParameterName, 'Data directory (default: the platform''s data dir; env `TOKENWALLET_HOME`)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('add', 'add', [CompletionResultType]::ParameterValue, 'Add an account (secrets from `TOKENWALLET_CLIENT_SECRET`, `_PASSWORD`, `_REFRESH_TOKEN` or a prompt)')
            [CompletionResult]::new('import', 'import', [CompletionResultType]::ParameterValue, 'Import a token file downloaded from a portal (`-` reads stdin)')
            [CompletionResult]::new('generate', 'generate', [CompletionResultType]::ParameterValue, 'Obtain a brand new token set')
            [CompletionResult]::new('refresh', 'refresh', [CompletionResultType]::ParameterValue, 'Renew the access token (one account, or --all)')
            [CompletionResult]::new('revoke', 'revoke', [CompletionResultType]::ParameterValue, 'Revoke the tokens at the provider (where it has an API) and forget them')
            [CompletionResult]::new('remove', 'remove', [CompletionResultType]::ParameterValue, 'Delete the account and its secrets')
            [CompletionResult]::new('token', 'token', [CompletionResultType]::ParameterValue, 'Print a valid access token (refreshed first when needed) and nothing else')
            [CompletionResult]::new('list', 'list', [CompletionResultType]::ParameterValue, 'List the accounts')
            [CompletionResult]::new('show', 'show', [CompletionResultType]::ParameterValue, 'Show one account (never a secret)')
            [CompletionResult]::new('export', 'export', [CompletionResultType]::ParameterValue, 'Write the access token, the refresh token or both out as text, JSON, .env, a header line or a curl command')
            [CompletionResult]::new('exec', 'exec', [CompletionResultType]::ParameterValue, 'Run a command with fresh tokens in its environment: `NAME_ACCESS_TOKEN`, `NAME_AUTH_HEADER` and `NAME_EXPIRES_AT` for each account (as `export --format env` names them), and each `--var`. Its exit code is the command''s')
            [CompletionResult]::new('agent', 'agent', [CompletionResultType]::ParameterValue, 'Serve the wallet to this user''s other tokenwallet commands until stopped (Ctrl-C): `token` answers in milliseconds, and one process refreshes')
            [CompletionResult]::new('unlock', 'unlock', [CompletionResultType]::ParameterValue, 'Give the vault passphrase to the running agent, which keeps the key in memory for the time given (`TOKENWALLET_PASSPHRASE` or a prompt)')
            [CompletionResult]::new('lock', 'lock', [CompletionResultType]::ParameterValue, 'Make the running agent forget the vault key')
            [CompletionResult]::new('team', 'team', [CompletionResultType]::ParameterValue, 'The team store (OpenBao / HashiCorp Vault) where a team shares refresh-token chains')
            [CompletionResult]::new('api', 'api', [CompletionResultType]::ParameterValue, 'The API behind an account, from its OpenAPI or Swagger spec, called with the account''s token (refreshed first when due)')
            [CompletionResult]::new('move', 'move', [CompletionResultType]::ParameterValue, 'Move an account into the team store, or out of it into this wallet alone; its refresh token comes along (none is spent)')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'tokenwallet;add' {
            [CompletionResult]::new('--provider', '--provider', [CompletionResultType]::ParameterName, 'The provider the account talks to')
            [CompletionResult]::new('--grant', '--grant', [CompletionResultType]::ParameterName, 'Grant: `refresh_token`, `password`, `client_credentials`, `authorization_code`')
            [CompletionResult]::new('--url', '--url', [CompletionResultType]::ParameterName, 'Base URL (oauth2: the token endpoint)')
            [CompletionResult]::new('--client-id', '--client-id', [CompletionResultType]::ParameterName, 'OAuth client id')
            [CompletionResult]::new('--username', '--username', [CompletionResultType]::ParameterName, 'Username')
            [CompletionResult]::new('--customer-id', '--customer-id', [CompletionResultType]::ParameterName, 'Aruba Central customer id')
            [CompletionResult]::new('--scope', '--scope', [CompletionResultType]::ParameterName, 'Scope to request')
            [CompletionResult]::new('--audience', '--audience', [CompletionResultType]::ParameterName, 'Audience to request')
            [CompletionResult]::new('--issuer', '--issuer', [CompletionResultType]::ParameterName, 'Issuer to discover the endpoints from (oauth2)')
            [CompletionResult]::new('--revoke-url', '--revoke-url', [CompletionResultType]::ParameterName, 'RFC 7009 revocation endpoint (oauth2)')
            [CompletionResult]::new('--client-auth', '--client-auth', [CompletionResultType]::ParameterName, 'Client authentication: basic or post')
            [CompletionResult]::new('--auth-url', '--auth-url', [CompletionResultType]::ParameterName, 'Authorization endpoint for `--grant authorization_code` (oauth2; else discovered)')
            [CompletionResult]::new('--device-url', '--device-url', [CompletionResultType]::ParameterName, 'Device authorization endpoint for `--grant device_code` (oauth2; else discovered)')
            [CompletionResult]::new('--redirect-uri', '--redirect-uri', [CompletionResultType]::ParameterName, 'An exact redirect URI `http://127.0.0.1:PORT/path`, for servers that need a registered one (default: a random port and `/callback`)')
            [CompletionResult]::new('--ca-file', '--ca-file', [CompletionResultType]::ParameterName, 'A PEM file of extra CA certificates to trust for this account (behind TLS inspection), beside the system''s store')
            [CompletionResult]::new('--catalog-url', '--catalog-url', [CompletionResultType]::ParameterName, 'The API catalog''s address, where it is not the provider''s usual one')
            [CompletionResult]::new('--home', '--home', [CompletionResultType]::ParameterName, 'Data directory (default: the platform''s data dir; env `TOKENWALLET_HOME`)')
            [CompletionResult]::new('--team', '--team', [CompletionResultType]::ParameterName, 'Create it in the team store, shared with the team (see `team connect`)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'tokenwallet;import' {
            [CompletionResult]::new('--file', '--file', [CompletionResultType]::ParameterName, 'The downloaded file, or `-` for stdin')
            [CompletionResult]::new('--expires-at', '--expires-at', [CompletionResultType]::ParameterName, 'Expiry of a token whose file does not say (YYYY-MM-DD or RFC 3339)')
            [CompletionResult]::new('--provider', '--provider', [CompletionResultType]::ParameterName, 'The provider the account talks to')
            [CompletionResult]::new('--grant', '--grant', [CompletionResultType]::ParameterName, 'Grant: `refresh_token`, `password`, `client_credentials`, `authorization_code`')
            [CompletionResult]::new('--url', '--url', [CompletionResultType]::ParameterName, 'Base URL (oauth2: the token endpoint)')
            [CompletionResult]::new('--client-id', '--client-id', [CompletionResultType]::ParameterName, 'OAuth client id')
            [CompletionResult]::new('--username', '--username', [CompletionResultType]::ParameterName, 'Username')
            [CompletionResult]::new('--customer-id', '--customer-id', [CompletionResultType]::ParameterName, 'Aruba Central customer id')
            [CompletionResult]::new('--scope', '--scope', [CompletionResultType]::ParameterName, 'Scope to request')
            [CompletionResult]::new('--audience', '--audience', [CompletionResultType]::ParameterName, 'Audience to request')
            [CompletionResult]::new('--issuer', '--issuer', [CompletionResultType]::ParameterName, 'Issuer to discover the endpoints from (oauth2)')
            [CompletionResult]::new('--revoke-url', '--revoke-url', [CompletionResultType]::ParameterName, 'RFC 7009 revocation endpoint (oauth2)')
            [CompletionResult]::new('--client-auth', '--client-auth', [CompletionResultType]::ParameterName, 'Client authentication: basic or post')
            [CompletionResult]::new('--auth-url', '--auth-url', [CompletionResultType]::ParameterName, 'Authorization endpoint for `--grant authorization_code` (oauth2; else discovered)')
            [CompletionResult]::new('--device-url', '--device-url', [CompletionResultType]::ParameterName, 'Device authorization endpoint for `--grant device_code` (oauth2; else discovered)')
            [CompletionResult]::new('--redirect-uri', '--redirect-uri', [CompletionResultType]::ParameterName, 'An exact redirect URI `http://127.0.0.1:PORT/path`, for servers that need a registered one (default: a random port and `/callback`)')
            [CompletionResult]::new('--ca-file', '--ca-file', [CompletionResultType]::ParameterName, 'A PEM file of extra CA certificates to trust for this account (behind TLS inspection), beside the system''s store')
            [CompletionResult]::new('--catalog-url', '--catalog-url', [CompletionResultType]::ParameterName, 'The API catalog''s address, where it is not the provider''s usual one')
            [CompletionResult]::new('--home', '--home', [CompletionResultType]::ParameterName, 'Data directory (default: the platform''s data dir; env `TOKENWALLET_HOME`)')
            [CompletionResult]::new('--team', '--team', [CompletionResultType]::ParameterName, 'Put the account in the team store, shared with the team (see `team connect`)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'tokenwallet;generate' {
            [CompletionResult]::new('--home', '--home', [CompletionResultType]::ParameterName, 'Data directory (default: the platform''s data dir; env `TOKENWALLET_HOME`)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'tokenwallet;refresh' {
            [CompletionResult]::new('--jobs', '--jobs', [CompletionResultType]::ParameterName, 'With --all: how many refreshes run at once (at most 4 against one provider host)')
            [CompletionResult]::new('--home', '--home', [CompletionResultType]::ParameterName, 'Data directory (default: the platform''s data dir; env `TOKENWALLET_HOME`)')
            [CompletionResult]::new('--all', '--all', [CompletionResultType]::ParameterName, 'Refresh every account that can be renewed without you')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'tokenwallet;revoke' {
            [CompletionResult]::new('--home', '--home', [CompletionResultType]::ParameterName, 'Data directory (default: the platform''s data dir; env `TOKENWALLET_HOME`)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'tokenwallet;remove' {
            [CompletionResult]::new('--home', '--home', [CompletionResultType]::ParameterName, 'Data directory (default: the platform''s data dir; env `TOKENWALLET_HOME`)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'tokenwallet;token' {
            [CompletionResult]::new('--home', '--home', [CompletionResultType]::ParameterName, 'Data directory (default: the platform''s data dir; env `TOKENWALLET_HOME`)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'tokenwallet;list' {
            [CompletionResult]::new('--home', '--home', [CompletionResultType]::ParameterName, 'Data directory (default: the platform''s data dir; env `TOKENWALLET_HOME`)')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Machine-readable output')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'tokenwallet;show' {
            [CompletionResult]::new('--home', '--home', [CompletionResultType]::ParameterName, 'Data directory (default: the platform''s data dir; env `TOKENWALLET_HOME`)')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Machine-readable output')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'tokenwallet;export' {
            [CompletionResult]::new('--token', '--token', [CompletionResultType]::ParameterName, 'Which token: access, refresh or both (header and curl carry only the access token)')
            [CompletionResult]::new('--format', '--format', [CompletionResultType]::ParameterName, 'Output format')
            [CompletionResult]::new('--out', '--out', [CompletionResultType]::ParameterName, 'Write to this file (created 0600) instead of stdout')
            [CompletionResult]::new('--home', '--home', [CompletionResultType]::ParameterName, 'Data directory (default: the platform''s data dir; env `TOKENWALLET_HOME`)')
            [CompletionResult]::new('--force', '--force', [CompletionResultType]::ParameterName, 'Replace what is at --out (atomically; a symlink is replaced, never followed)')
            [CompletionResult]::new('--keep-fresh', '--keep-fresh', [CompletionResultType]::ParameterName, 'Keep --out fresh: rewritten after every refresh of the account, which the agent renews before the token gets short')
            [CompletionResult]::new('--stop', '--stop', [CompletionResultType]::ParameterName, 'Stop keeping --out fresh (the file stays as it is)')
            [CompletionResult]::new('--list', '--list', [CompletionResultType]::ParameterName, 'List the files kept fresh, with their last write and any error')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'tokenwallet;exec' {
            [CompletionResult]::new('--var', '--var', [CompletionResultType]::ParameterName, 'One more variable: `VAR=NAME` (the access token), `VAR=NAME:header` (the header line) or `VAR=NAME:refresh` (the refresh token, only when asked so)')
            [CompletionResult]::new('--home', '--home', [CompletionResultType]::ParameterName, 'Data directory (default: the platform''s data dir; env `TOKENWALLET_HOME`)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'tokenwallet;agent' {
            [CompletionResult]::new('--home', '--home', [CompletionResultType]::ParameterName, 'Data directory (default: the platform''s data dir; env `TOKENWALLET_HOME`)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'tokenwallet;unlock' {
            [CompletionResult]::new('--for', '--for', [CompletionResultType]::ParameterName, 'How long: 90s, 30m, 8h, 2d')
            [CompletionResult]::new('--home', '--home', [CompletionResultType]::ParameterName, 'Data directory (default: the platform''s data dir; env `TOKENWALLET_HOME`)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'tokenwallet;lock' {
            [CompletionResult]::new('--home', '--home', [CompletionResultType]::ParameterName, 'Data directory (default: the platform''s data dir; env `TOKENWALLET_HOME`)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'tokenwallet;team' {
            [CompletionResult]::new('--home', '--home', [CompletionResultType]::ParameterName, 'Data directory (default: the platform''s data dir; env `TOKENWALLET_HOME`)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('connect', 'connect', [CompletionResultType]::ParameterValue, 'Connect this wallet to a team store (its address, mount and folder are saved; the token is not)')
            [CompletionResult]::new('status', 'status', [CompletionResultType]::ParameterValue, 'Who this wallet is to the team store, and what it may do there')
            [CompletionResult]::new('sync', 'sync', [CompletionResultType]::ParameterValue, 'Take every team account this wallet does not have yet (with the refresh token where this machine''s policy may read it)')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'tokenwallet;team;connect' {
            [CompletionResult]::new('--mount', '--mount', [CompletionResultType]::ParameterName, 'The KV version 2 engine''s mount')
            [CompletionResult]::new('--path', '--path', [CompletionResultType]::ParameterName, 'The wallet''s folder in it')
            [CompletionResult]::new('--home', '--home', [CompletionResultType]::ParameterName, 'Data directory (default: the platform''s data dir; env `TOKENWALLET_HOME`)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'tokenwallet;team;status' {
            [CompletionResult]::new('--home', '--home', [CompletionResultType]::ParameterName, 'Data directory (default: the platform''s data dir; env `TOKENWALLET_HOME`)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'tokenwallet;team;sync' {
            [CompletionResult]::new('--home', '--home', [CompletionResultType]::ParameterName, 'Data directory (default: the platform''s data dir; env `TOKENWALLET_HOME`)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'tokenwallet;team;help' {
            [CompletionResult]::new('connect', 'connect', [CompletionResultType]::ParameterValue, 'Connect this wallet to a team store (its address, mount and folder are saved; the token is not)')
            [CompletionResult]::new('status', 'status', [CompletionResultType]::ParameterValue, 'Who this wallet is to the team store, and what it may do there')
            [CompletionResult]::new('sync', 'sync', [CompletionResultType]::ParameterValue, 'Take every team account this wallet does not have yet (with the refresh token where this machine''s policy may read it)')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'tokenwallet;team;help;connect' {
            break
        }
        'tokenwallet;team;help;status' {
            break
        }
        'tokenwallet;team;help;sync' {
            break
        }
        'tokenwallet;team;help;help' {
            break
        }
        'tokenwallet;api' {
            [CompletionResult]::new('--home', '--home', [CompletionResultType]::ParameterName, 'Data directory (default: the platform''s data dir; env `TOKENWALLET_HOME`)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('spec', 'spec', [CompletionResultType]::ParameterValue, 'Read an OpenAPI (3.0, 3.1) or Swagger (2.0) spec, JSON or YAML, from a file or an https:// URL, and keep it as the account''s')
            [CompletionResult]::new('ops', 'ops', [CompletionResultType]::ParameterValue, 'List the operations of the account''s spec, by tag')
            [CompletionResult]::new('call', 'call', [CompletionResultType]::ParameterValue, 'Call an operation: the response body on stdout, the status line on stderr. Exit 0 for a 2xx status, 1 for another, 4 when the server cannot be reached, 2 for a bad operation or parameter')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'tokenwallet;api;spec' {
            [CompletionResult]::new('--home', '--home', [CompletionResultType]::ParameterName, 'Data directory (default: the platform''s data dir; env `TOKENWALLET_HOME`)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'tokenwallet;api;ops' {
            [CompletionResult]::new('--home', '--home', [CompletionResultType]::ParameterName, 'Data directory (default: the platform''s data dir; env `TOKENWALLET_HOME`)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'tokenwallet;api;call' {
            [CompletionResult]::new('-p', '-p', [CompletionResultType]::ParameterName, 'A parameter (path, query, header, cookie or form); give a name twice for a list')
            [CompletionResult]::new('--param', '--param', [CompletionResultType]::ParameterName, 'A parameter (path, query, header, cookie or form); give a name twice for a list')
            [CompletionResult]::new('--data', '--data', [CompletionResultType]::ParameterName, 'The request body: JSON text, or @FILE (@- reads stdin)')
            [CompletionResult]::new('--server', '--server', [CompletionResultType]::ParameterName, 'The API''s base address, instead of the spec''s server or the account''s')
            [CompletionResult]::new('--home', '--home', [CompletionResultType]::ParameterName, 'Data directory (default: the platform''s data dir; env `TOKENWALLET_HOME`)')
            [CompletionResult]::new('--confirm-host', '--confirm-host', [CompletionResultType]::ParameterName, 'Send the token to a host that is not the provider''s, and remember it')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'tokenwallet;api;help' {
            [CompletionResult]::new('spec', 'spec', [CompletionResultType]::ParameterValue, 'Read an OpenAPI (3.0, 3.1) or Swagger (2.0) spec, JSON or YAML, from a file or an https:// URL, and keep it as the account''s')
            [CompletionResult]::new('ops', 'ops', [CompletionResultType]::ParameterValue, 'List the operations of the account''s spec, by tag')
            [CompletionResult]::new('call', 'call', [CompletionResultType]::ParameterValue, 'Call an operation: the response body on stdout, the status line on stderr. Exit 0 for a 2xx status, 1 for another, 4 when the server cannot be reached, 2 for a bad operation or parameter')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'tokenwallet;api;help;spec' {
            break
        }
        'tokenwallet;api;help;ops' {
            break
        }
        'tokenwallet;api;help;call' {
            break
        }
        'tokenwallet;api;help;help' {
            break
        }
        'tokenwallet;move' {
            [CompletionResult]::new('--to', '--to', [CompletionResultType]::ParameterName, 'Where to')
            [CompletionResult]::new('--home', '--home', [CompletionResultType]::ParameterName, 'Data directory (default: the platform''s data dir; env `TOKENWALLET_HOME`)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'tokenwallet;help' {
            [CompletionResult]::new('add', 'add', [CompletionResultType]::ParameterValue, 'Add an account (secrets from `TOKENWALLET_CLIENT_SECRET`, `_PASSWORD`, `_REFRESH_TOKEN` or a prompt)')
            [CompletionResult]::new('import', 'import', [CompletionResultType]::ParameterValue, 'Import a token file downloaded from a portal (`-` reads stdin)')
            [CompletionResult]::new('generate', 'generate', [CompletionResultType]::ParameterValue, 'Obtain a brand new token set')
            [CompletionResult]::new('refresh', 'refresh', [CompletionResultType]::ParameterValue, 'Renew the access token (one account, or --all)')
            [CompletionResult]::new('revoke', 'revoke', [CompletionResultType]::ParameterValue, 'Revoke the tokens at the provider (where it has an API) and forget them')
            [CompletionResult]::new('remove', 'remove', [CompletionResultType]::ParameterValue, 'Delete the account and its secrets')
            [CompletionResult]::new('token', 'token', [CompletionResultType]::ParameterValue, 'Print a valid access token (refreshed first when needed) and nothing else')
            [CompletionResult]::new('list', 'list', [CompletionResultType]::ParameterValue, 'List the accounts')
            [CompletionResult]::new('show', 'show', [CompletionResultType]::ParameterValue, 'Show one account (never a secret)')
            [CompletionResult]::new('export', 'export', [CompletionResultType]::ParameterValue, 'Write the access token, the refresh token or both out as text, JSON, .env, a header line or a curl command')
            [CompletionResult]::new('exec', 'exec', [CompletionResultType]::ParameterValue, 'Run a command with fresh tokens in its environment: `NAME_ACCESS_TOKEN`, `NAME_AUTH_HEADER` and `NAME_EXPIRES_AT` for each account (as `export --format env` names them), and each `--var`. Its exit code is the command''s')
            [CompletionResult]::new('agent', 'agent', [CompletionResultType]::ParameterValue, 'Serve the wallet to this user''s other tokenwallet commands until stopped (Ctrl-C): `token` answers in milliseconds, and one process refreshes')
            [CompletionResult]::new('unlock', 'unlock', [CompletionResultType]::ParameterValue, 'Give the vault passphrase to the running agent, which keeps the key in memory for the time given (`TOKENWALLET_PASSPHRASE` or a prompt)')
            [CompletionResult]::new('lock', 'lock', [CompletionResultType]::ParameterValue, 'Make the running agent forget the vault key')
            [CompletionResult]::new('team', 'team', [CompletionResultType]::ParameterValue, 'The team store (OpenBao / HashiCorp Vault) where a team shares refresh-token chains')
            [CompletionResult]::new('api', 'api', [CompletionResultType]::ParameterValue, 'The API behind an account, from its OpenAPI or Swagger spec, called with the account''s token (refreshed first when due)')
            [CompletionResult]::new('move', 'move', [CompletionResultType]::ParameterValue, 'Move an account into the team store, or out of it into this wallet alone; its refresh token comes along (none is spent)')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'tokenwallet;help;add' {
            break
        }
        'tokenwallet;help;import' {
            break
        }
        'tokenwallet;help;generate' {
            break
        }
        'tokenwallet;help;refresh' {
            break
        }
        'tokenwallet;help;revoke' {
            break
        }
        'tokenwallet;help;remove' {
            break
        }
        'tokenwallet;help;token' {
            break
        }
        'tokenwallet;help;list' {
            break
        }
        'tokenwallet;help;show' {
            break
        }
        'tokenwallet;help;export' {
            break
        }
        'tokenwallet;help;exec' {
            break
        }
        'tokenwallet;help;agent' {
            break
        }
        'tokenwallet;help;unlock' {
            break
        }
        'tokenwallet;help;lock' {
            break
        }
        'tokenwallet;help;team' {
            [CompletionResult]::new('connect', 'connect', [CompletionResultType]::ParameterValue, 'Connect this wallet to a team store (its address, mount and folder are saved; the token is not)')
            [CompletionResult]::new('status', 'status', [CompletionResultType]::ParameterValue, 'Who this wallet is to the team store, and what it may do there')
            [CompletionResult]::new('sync', 'sync', [CompletionResultType]::ParameterValue, 'Take every team account this wallet does not have yet (with the refresh token where this machine''s policy may read it)')
            break
        }
        'tokenwallet;help;team;connect' {
            break
        }
        'tokenwallet;help;team;status' {
            break
        }
        'tokenwallet;help;team;sync' {
            break
        }
        'tokenwallet;help;api' {
            [CompletionResult]::new('spec', 'spec', [CompletionResultType]::ParameterValue, 'Read an OpenAPI (3.0, 3.1) or Swagger (2.0) spec, JSON or YAML, from a file or an https:// URL, and keep it as the account''s')
            [CompletionResult]::new('ops', 'ops', [CompletionResultType]::ParameterValue, 'List the operations of the account''s spec, by tag')
            [CompletionResult]::new('call', 'call', [CompletionResultType]::ParameterValue, 'Call an operation: the response body on stdout, the status line on stderr. Exit 0 for a 2xx status, 1 for another, 4 when the server cannot be reached, 2 for a bad operation or parameter')
            break
        }
        'tokenwallet;help;api;spec' {
            break
        }
        'tokenwallet;help;api;ops' {
            break
        }
        'tokenwallet;help;api;call' {
            break
        }
        'tokenwallet;help;move' {
            break
        }
        'tokenwallet;help;help' {
            break
        }
    })

    $completions.Where{ $_.CompletionText -like "$wordToComplete*" } |
        Sort-Object -Property ListItemText
}
