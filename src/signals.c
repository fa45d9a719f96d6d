#include "signals.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <time.h>
#include <unistd.h>
#include <sys/wait.h>

/* How long a child may take to end after a forwarded signal. */
#define CHILD_GRACE_MS 2000

volatile sig_atomic_t signals_stop;

/* what the signal thread acts on, changed by the main thread under the lock */
static pthread_mutex_t state_lock = PTHREAD_MUTEX_INITIALIZER;
static struct csv_sink *watched_sink;
static pid_t child_group; /* > 0 while a child runs */
static bool child_signalled;
static sigset_t handled;

static const char *signal_name(int sig)
{
    return sig == SIGINT ? "SIGINT" : "SIGTERM";
}

static void *signal_thread(void *unused)
{
    (void)unused;
    for (;;) {
        int sig;
        if (sigwait(&handled, &sig) != 0)
            continue;
        pthread_mutex_lock(&state_lock);
        if (child_group > 0) {
            /* SIGTERM whatever arrived: gnuplot takes SIGINT as "stop this
             * plot" and carries on with the next command */
            kill(-child_group, SIGTERM);
            child_signalled = true;
            if (!signals_stop)
                signals_stop = sig;
            pthread_mutex_unlock(&state_lock);
            continue;
        }
        if (!signals_stop) {
            signals_stop = sig;
            pthread_mutex_unlock(&state_lock);
            fprintf(stderr, "\nconvbench: %s: stopping after the row under way (a second "
                    "signal stops at once, keeping the rows finished)\n", signal_name(sig));
            continue;
        }
        /* a second signal: the rows already written are kept, the row under
         * way is dropped; the lock stays held so that nothing changes the
         * sink before the process ends */
        if (watched_sink)
            csv_sink_save_partial(watched_sink, signals_stop);
        else
            fprintf(stderr, "\nconvbench: %s again: stopped; no row was written\n",
                    signal_name(sig));
        _exit(128 + signals_stop);
    }
    return NULL;
}

int signals_start(void)
{
    sigemptyset(&handled);
    sigaddset(&handled, SIGINT);
    sigaddset(&handled, SIGTERM);
    if (pthread_sigmask(SIG_BLOCK, &handled, NULL) != 0)
        return -1;
    pthread_t thread;
    pthread_attr_t attr;
    pthread_attr_init(&attr);
    pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
    int status = pthread_create(&thread, &attr, signal_thread, NULL);
    pthread_attr_destroy(&attr);
    if (status != 0) {
        pthread_sigmask(SIG_UNBLOCK, &handled, NULL);
        return -1;
    }
    return 0;
}

void signals_watch_sink(struct csv_sink *sink)
{
    pthread_mutex_lock(&state_lock);
    watched_sink = sink;
    pthread_mutex_unlock(&state_lock);
}

int signals_run_child(char *const argv[])
{
    pthread_mutex_lock(&state_lock);
    if (signals_stop) {
        pthread_mutex_unlock(&state_lock);
        return -1;
    }
    fflush(NULL); /* what this process printed comes before the child's output */
    pid_t pid = fork();
    if (pid == 0) {
        setpgid(0, 0);
        /* never the terminal's input, or the test's: a child that turned
         * interactive would wait on it */
        const int null = open("/dev/null", O_RDONLY);
        if (null >= 0 && null != STDIN_FILENO) {
            dup2(null, STDIN_FILENO);
            close(null);
        }
        /* a convbench started in the background of a script inherits
         * SIGINT ignored; the child must not, nor SIGTERM */
        struct sigaction fallback = {.sa_handler = SIG_DFL};
        sigaction(SIGINT, &fallback, NULL);
        sigaction(SIGTERM, &fallback, NULL);
        sigset_t none;
        sigemptyset(&none);
        pthread_sigmask(SIG_SETMASK, &none, NULL);
        execvp(argv[0], argv);
        _exit(127);
    }
    if (pid > 0) {
        setpgid(pid, pid); /* also here, so that a forwarded signal finds the group */
        child_group = pid;
        child_signalled = false;
    }
    pthread_mutex_unlock(&state_lock);
    if (pid < 0)
        return -1;

    /* polled, so that a child that outlives a forwarded SIGTERM by
     * CHILD_GRACE_MS is killed */
    int status = 0, signalled_for = 0;
    for (;;) {
        const pid_t done = waitpid(pid, &status, WNOHANG);
        if (done == pid || (done < 0 && errno != EINTR))
            break;
        const struct timespec tick = {0, 20 * 1000 * 1000};
        nanosleep(&tick, NULL);
        pthread_mutex_lock(&state_lock);
        if (child_signalled && (signalled_for += 20) >= CHILD_GRACE_MS)
            kill(-pid, SIGKILL);
        pthread_mutex_unlock(&state_lock);
    }
    pthread_mutex_lock(&state_lock);
    /* an interrupted child may leave members of its group (gnuplot) behind */
    if (child_signalled)
        kill(-pid, SIGKILL);
    child_group = 0;
    pthread_mutex_unlock(&state_lock);
    return status;
}
