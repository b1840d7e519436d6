/**
 * The approval policies and the default risk rules: configuration values (`agent.approval`,
 * `agent.riskyCommands`, `agent.riskyPaths`), applied by src/agent/approval.
 */

export const APPROVAL_POLICIES = ['never', 'risky', 'always'] as const;
/** `never`: nothing waits; `risky`: calls matching the risk rules wait; `always`: every call waits. */
export type ApprovalPolicy = (typeof APPROVAL_POLICIES)[number];

/** The configured rules (`agent.riskyCommands`, `agent.riskyPaths`): regular expressions. */
export interface RiskRuleSource {
  riskyCommands: readonly string[];
  riskyPaths: readonly string[];
}

/** A `run_command` matching one of these is risky (case-insensitive, anywhere in the command). */
export const DEFAULT_RISKY_COMMANDS: readonly string[] = [
  // Deleting recursively or by force.
  String.raw`\brm\s+(-\S*[rRf]|--recursive|--force)`,
  String.raw`\bfind\b.*\s-delete\b`,
  // Installing packages (they run their own scripts).
  String.raw`\b(npm|pnpm|yarn|bun)\s+(i|install|add|ci)\b`,
  String.raw`\bpip3?\s+install\b`,
  String.raw`\b(apt|apt-get|dnf|yum|apk|brew|cargo|gem)\s+(install|add)\b`,
  String.raw`\bgo\s+(get|install)\b`,
  String.raw`\bnpx\s`,
  // Network tools and remote git.
  String.raw`\b(curl|wget|ssh|scp|sftp|rsync|nc|ncat|netcat|telnet|ftp)\b`,
  String.raw`\bgit\s+(push|pull|fetch|clone|remote)\b`,
  // What the sandbox refuses anyway: asking for it is worth a person's look.
  String.raw`\b(sudo|su|mount|umount|chroot|docker|podman|kubectl|mkfs\S*|dd)\b`,
  String.raw`\bchmod\s+(-\S*R|--recursive)`,
];

/** A file tool writing or deleting a path matching one of these is risky (CI and secrets). */
export const DEFAULT_RISKY_PATHS: readonly string[] = [
  String.raw`^\.github/`,
  String.raw`^\.gitlab-ci\.ya?ml$`,
  String.raw`^\.circleci/`,
  String.raw`(^|/)Jenkinsfile$`,
  String.raw`^(\.travis|azure-pipelines|bitbucket-pipelines)\.ya?ml$`,
  String.raw`(^|/)\.env($|\.)`,
  String.raw`\.(pem|key|p12|pfx|keystore|jks)$`,
  String.raw`(^|/)id_(rsa|dsa|ecdsa|ed25519)`,
  String.raw`(^|/)\.(npmrc|pypirc|netrc|git-credentials)$`,
  String.raw`(^|/)[^/]*(secret|credential|password)[^/]*$`,
];
