/*
 * capture.h - run a view of the CLI in this process with its stdout and
 * stderr in files, for the suites that call one directly (the command
 * line itself is test_cli.c's, on the built CLI: a command's parser needs
 * main.c).
 */
#ifndef CAPTURE_H
#define CAPTURE_H

/* Run @fn(@arg) with stdout and stderr in temporary files.  @return what
 * it printed on stdout (malloc'd); *@code: what it returned; *@err: what
 * it printed on stderr (malloc'd). */
char *capture(int (*fn)(void *arg), void *arg, int *code, char **err);

#endif
