enum DollrSandboxPlaceholder {}
