enum DollrClientPlaceholder {}
